package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAPIScopes: scopes given at create come back sorted from create,
// verify, get and list, list filters by whole scope, and bad scopes are
// 400 invalid with nothing written.
func TestAPIScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	create := func(body string) (id, token string) {
		t.Helper()
		resp, b := e.api(t, "POST", "/v1/tokens", e.admin, body)
		wantStatus(t, resp, b, http.StatusCreated)
		var c struct {
			ID, Token string
			Scopes    []string
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return c.ID, c.Token
	}
	scoped, scopedTok := create(`{"owner":"bob@example.org","name":"deploy","type":"service","scopes":["write"," read ","deploy:prod"]}`)
	readAll, _ := create(`{"owner":"bob@example.org","name":"reader","scopes":["read-all"]}`)
	_, plainTok := create(`{"owner":"bob@example.org","name":"plain"}`)
	const want = `"scopes":["deploy:prod","read","write"]`

	tests := []struct {
		name, method, path, body string
		status                   int
		contains, lacks          []string
	}{
		{"verify scoped", "POST", "/v1/tokens/verify", `{"token":"` + scopedTok + `"}`, 200, []string{`"valid":true`, want}, nil},
		{"verify without scopes", "POST", "/v1/tokens/verify", `{"token":"` + plainTok + `"}`, 200, []string{`"valid":true`, `"scopes":[]`}, nil},
		{"get", "GET", "/v1/tokens/" + scoped, "", 200, []string{want}, nil},
		{"list by scope", "GET", "/v1/tokens?scope=read", "", 200, []string{scoped, want}, []string{readAll}},
		{"list by longer scope", "GET", "/v1/tokens?scope=read-all", "", 200, []string{readAll, `"scopes":["read-all"]`}, []string{scoped}},
		{"list by prefix of a scope", "GET", "/v1/tokens?scope=rea", "", 200, []string{`"tokens":[]`}, nil},
		{"list by bad scope", "GET", "/v1/tokens?scope=" + url.QueryEscape("read,write"), "", 400, []string{`"invalid"`}, nil},
		{"list by scope twice", "GET", "/v1/tokens?scope=read&scope=write", "", 400, []string{`"bad_request"`}, nil},
		{"create with a scope twice", "POST", "/v1/tokens", `{"owner":"o","name":"n","scopes":["read","read "]}`, 400, []string{`"invalid"`, `\"read\" given twice`}, nil},
		{"create with a bad scope", "POST", "/v1/tokens", `{"owner":"o","name":"n","scopes":["read all"]}`, 400, []string{`"invalid"`}, []string{"read all"}},
		{"create with too many scopes", "POST", "/v1/tokens", `{"owner":"o","name":"n","scopes":["` + strings.Repeat(`a","`, 32) + `b"]}`, 400, []string{`"invalid"`}, nil},
		{"create with scopes not strings", "POST", "/v1/tokens", `{"owner":"o","name":"n","scopes":[1]}`, 400, []string{`"bad_request"`}, nil},
		{"create with scopes not a list", "POST", "/v1/tokens", `{"owner":"o","name":"n","scopes":"read"}`, 400, []string{`"bad_request"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.api(t, tt.method, tt.path, e.admin, tt.body)
			wantStatus(t, resp, body, tt.status)
			for _, c := range tt.contains {
				if !bytes.Contains(body, []byte(c)) {
					t.Errorf("answer %s lacks %s", body, c)
				}
			}
			for _, c := range tt.lacks {
				if bytes.Contains(body, []byte(c)) {
					t.Errorf("answer %s holds %s", body, c)
				}
			}
		})
	}
	resp, body := e.api(t, "GET", "/v1/tokens?owner=o", e.admin, "")
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Contains(body, []byte(`"tokens":[]`)) {
		t.Errorf("refused creates wrote tokens: %s", body)
	}
	resp, body = e.api(t, "GET", "/v1/tokens/"+scoped+"/events", e.admin, "")
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Contains(body, []byte(`; scopes deploy:prod read write"`)) {
		t.Errorf("issued event does not name the scopes: %s", body)
	}
}
