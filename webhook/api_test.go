package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
)

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	svc, user := e.issue(t, patterns.TypeService), e.issue(t, patterns.TypeUser)
	revoked := e.issue(t, patterns.TypeAdmin)
	if _, _, err := e.mgr.Revoke(context.Background(), lifecycle.RevokeRequest{Secret: revoked, Reason: "test", Actor: "t"}); err != nil {
		t.Fatal(err)
	}
	never, _ := patterns.Default().Issued(patterns.TypeAdmin)
	unknown, _ := never.Generate(nil)
	verify := `{"token":"` + user.Reveal() + `"}`
	tests := []struct {
		name   string
		method string
		path   string
		bearer patterns.Secret
		body   string
		status int
	}{
		{"no bearer", "GET", "/v1/tokens", patterns.Secret{}, "", 401},
		{"malformed bearer", "GET", "/v1/tokens", patterns.NewSecret("lga_nope"), "", 401},
		{"unknown bearer", "GET", "/v1/tokens", unknown, "", 401},
		{"revoked bearer", "GET", "/v1/tokens", revoked, "", 401},
		{"user bearer", "POST", "/v1/tokens/verify", user, verify, 403},
		{"service on admin route", "GET", "/v1/tokens", svc, "", 403},
		{"service may verify", "POST", "/v1/tokens/verify", svc, verify, 200},
		{"admin may list", "GET", "/v1/tokens", e.admin, "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.api(t, tc.method, tc.path, tc.bearer, tc.body)
			wantStatus(t, resp, body, tc.status)
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if !tc.bearer.IsZero() && bytes.Contains(body, []byte(tc.bearer.Reveal())) {
				t.Error("response echoes the bearer token")
			}
		})
	}
}

func TestAPIHappyPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	resp, body := e.api(t, "POST", "/v1/tokens", e.admin, `{"owner":"bob@example.org","name":"ci","type":"service","expires_in":"24h"}`)
	wantStatus(t, resp, body, http.StatusCreated)
	var created struct {
		ID, Token, Last4 string
		TokenHash        string  `json:"token_hash"`
		ExpiresAt        *string `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Token, "lgs_") || patterns.HashToken(created.Token) != created.TokenHash || created.ExpiresAt == nil {
		t.Fatalf("create = %s", body)
	}
	resp, body = e.api(t, "POST", "/v1/tokens/verify", e.admin, `{"token":"`+created.Token+`"}`)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Contains(body, []byte(`"valid":true`)) || !bytes.Contains(body, []byte(created.ID)) {
		t.Fatalf("verify = %s", body)
	}
	resp, body = e.api(t, "GET", "/v1/tokens/"+created.ID, e.admin, "")
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Contains(body, []byte(`"state":"active"`)) || bytes.Contains(body, []byte(created.Token)) {
		t.Fatalf("get = %s", body)
	}
	resp, body = e.api(t, "POST", "/v1/tokens/revoke", e.admin, `{"token_hash":"`+created.TokenHash+`","reason":"rotated"}`)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Contains(body, []byte(`"already_revoked":false`)) {
		t.Fatalf("revoke = %s", body)
	}
	resp, body = e.api(t, "POST", "/v1/tokens/revoke", e.admin, `{"id":"`+created.ID+`","reason":"again"}`)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Contains(body, []byte(`"already_revoked":true`)) {
		t.Fatalf("second revoke = %s", body)
	}
	resp, body = e.api(t, "POST", "/v1/tokens/verify", e.admin, `{"token":"`+created.Token+`"}`)
	if !bytes.Contains(body, []byte(`"valid":false`)) || !bytes.Contains(body, []byte(": rotated")) {
		t.Fatalf("verify after revoke = %d %s", resp.StatusCode, body)
	}
	resp, body = e.api(t, "GET", "/v1/tokens/"+created.ID+"/events", e.admin, "")
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Contains(body, []byte(`"kind":"issued"`)) || !bytes.Contains(body, []byte(`"kind":"revoked"`)) {
		t.Fatalf("events = %s", body)
	}
}

func TestAPIListPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for range 4 {
		e.issue(t, patterns.TypeUser)
	}
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 10; page++ {
		path := "/v1/tokens?owner=alice@example.org&state=active&limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		resp, body := e.api(t, "GET", path, e.admin, "")
		wantStatus(t, resp, body, http.StatusOK)
		var lr struct {
			Tokens []struct{ ID string }
			Next   string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &lr); err != nil {
			t.Fatal(err)
		}
		for _, tk := range lr.Tokens {
			if seen[tk.ID] {
				t.Fatalf("token %s on two pages", tk.ID)
			}
			seen[tk.ID] = true
		}
		if cursor = lr.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 5 { // 4 users + the admin
		t.Errorf("listed %d tokens, want 5", len(seen))
	}
}

func TestAPIBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *webhookConfig) { c.MaxBodyBytes = 1024 })
	victim := e.issue(t, patterns.TypeUser)
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed JSON", "POST", "/v1/tokens", `{"owner":`, 400, "bad_request"},
		{"unknown field", "POST", "/v1/tokens", `{"owner":"a","name":"b","admin":true}`, 400, "bad_request"},
		{"wrong type", "POST", "/v1/tokens", `{"owner":1,"name":"b"}`, 400, "bad_request"},
		{"array body", "POST", "/v1/tokens", `[]`, 400, "bad_request"},
		{"trailing data", "POST", "/v1/tokens", `{"owner":"a","name":"b"}{}`, 400, "bad_request"},
		{"empty body", "POST", "/v1/tokens", ``, 400, "bad_request"},
		{"oversize", "POST", "/v1/tokens", `{"owner":"` + strings.Repeat("a", 2000) + `","name":"b"}`, 413, "too_large"},
		{"missing owner", "POST", "/v1/tokens", `{"name":"b"}`, 400, "invalid"},
		{"unknown type", "POST", "/v1/tokens", `{"owner":"a","name":"b","type":"root"}`, 400, "invalid"},
		{"unparsable expiry", "POST", "/v1/tokens", `{"owner":"a","name":"b","expires_in":"soon"}`, 400, "invalid"},
		{"never not allowed", "POST", "/v1/tokens", `{"owner":"a","name":"b","expires_in":"never"}`, 400, "expiry_not_allowed"},
		{"verify wrong format", "POST", "/v1/tokens/verify", `{"token":"ghp_notours"}`, 400, "malformed_token"},
		{"revoke without reason", "POST", "/v1/tokens/revoke", `{"token":"` + victim.Reveal() + `"}`, 400, "bad_request"},
		{"revoke two identifiers", "POST", "/v1/tokens/revoke", `{"id":"x","token_hash":"y","reason":"r"}`, 400, "invalid"},
		{"revoke wrong format", "POST", "/v1/tokens/revoke", `{"token":"lgu_short","reason":"r"}`, 400, "malformed_token"},
		{"revoke unknown id", "POST", "/v1/tokens/revoke", `{"id":"tok_nope","reason":"r"}`, 404, "not_found"},
		{"get unknown id", "GET", "/v1/tokens/tok_nope", ``, 404, "not_found"},
		{"events unknown id", "GET", "/v1/tokens/tok_nope/events", ``, 404, "not_found"},
		{"bad state", "GET", "/v1/tokens?state=zombie", ``, 400, "invalid"},
		{"bad limit", "GET", "/v1/tokens?limit=0", ``, 400, "bad_request"},
		{"unknown parameter", "GET", "/v1/tokens?token=x", ``, 400, "bad_request"},
		{"no route", "GET", "/v2/nothing", ``, 404, "not_found"},
		{"wrong method", "DELETE", "/v1/tokens", ``, 405, "method_not_allowed"},
		{"wrong method on a pattern", "POST", "/v1/tokens/tok_nope", ``, 405, "method_not_allowed"},
		{"token as a field name", "POST", "/v1/tokens", `{"owner":"a","` + victim.Reveal() + `":1}`, 400, "bad_request"},
		{"token as an id", "GET", "/v1/tokens/" + victim.Reveal(), ``, 404, "not_found"},
		{"token as an events id", "GET", "/v1/tokens/" + victim.Reveal() + "/events", ``, 404, "not_found"},
		{"token in an unrouted path", "GET", "/v1/" + victim.Reveal(), ``, 404, "not_found"},
		{"token as a parameter", "GET", "/v1/tokens?" + victim.Reveal() + "=1", ``, 400, "bad_request"},
		{"token as a state", "GET", "/v1/tokens?state=" + victim.Reveal(), ``, 400, "invalid"},
		{"token as a revoke id", "POST", "/v1/tokens/revoke", `{"id":"` + victim.Reveal() + `","reason":"r"}`, 404, "not_found"},
		{"token as a revoke hash", "POST", "/v1/tokens/revoke", `{"token_hash":"` + victim.Reveal() + `","reason":"r"}`, 400, "invalid"},
	}
	before := countTokens(t, e)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.api(t, tc.method, tc.path, e.admin, tc.body)
			wantStatus(t, resp, body, tc.status)
			if got := errorCode(t, body); got != tc.code {
				t.Errorf("code = %s, want %s (%s)", got, tc.code, body)
			}
			if bytes.Contains(body, []byte(victim.Reveal())) {
				t.Error("error echoes a token")
			}
		})
	}
	if after := countTokens(t, e); after != before {
		t.Errorf("tokens %d → %d: bad input wrote", before, after)
	}
	if v, _ := e.mgr.Verify(context.Background(), victim); !v.Valid {
		t.Error("victim token was revoked by bad input")
	}
}

func countTokens(t *testing.T, e *env) int {
	t.Helper()
	ts, err := e.mgr.List(context.Background(), storeFilter())
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

// TestAPIStrictJSON: every JSON route refuses a key given twice and a key
// that matches a field only when case is ignored (encoding/json would take
// the last, or the wrong-case one), as it refuses unknown keys: 400
// bad_request, before anything is looked up or written.
func TestAPIStrictJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	victim := e.issue(t, patterns.TypeUser)
	h := patterns.HashToken(victim.Reveal())
	tok := `"` + victim.Reveal() + `"`
	tests := []struct{ name, path, body string }{
		{"create duplicate type", "/v1/tokens", `{"owner":"o","name":"n","type":"user","type":"admin"}`},
		{"create duplicate owner", "/v1/tokens", `{"owner":"o","owner":"p","name":"n"}`},
		{"create upper-case key", "/v1/tokens", `{"owner":"o","name":"n","TYPE":"admin"}`},
		{"create mixed-case key", "/v1/tokens", `{"Owner":"o","name":"n"}`},
		{"create escaped duplicate", "/v1/tokens", `{"owner":"o","name":"n","type":"user","\u0074ype":"admin"}`},
		{"verify duplicate token", "/v1/tokens/verify", `{"token":` + tok + `,"token":` + tok + `}`},
		{"verify upper-case key", "/v1/tokens/verify", `{"Token":` + tok + `}`},
		{"revoke duplicate reason", "/v1/tokens/revoke", `{"token_hash":"` + h + `","reason":"a","reason":"b"}`},
		{"revoke duplicate id kinds", "/v1/tokens/revoke", `{"token_hash":"` + h + `","TOKEN_HASH":"` + h + `","reason":"r"}`},
		{"status duplicate", "/v1/tokens/status", `{"token_hashes":["` + h + `"],"token_hashes":["` + h + `"]}`},
		{"status case", "/v1/tokens/status", `{"Token_Hashes":["` + h + `"]}`},
		{"leak duplicate", "/v1/tokens/leaks", `{"token_hash":"` + h + `","source":"file","source":"git"}`},
		{"leak case", "/v1/tokens/leaks", `{"token_hash":"` + h + `","Source":"file"}`},
		{"invalid UTF-8", "/v1/tokens", "{\"owner\":\"o\xff\",\"name\":\"n\"}"},
	}
	before := countTokens(t, e)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.api(t, "POST", tc.path, e.admin, tc.body)
			wantStatus(t, resp, body, http.StatusBadRequest)
			if got := errorCode(t, body); got != "bad_request" {
				t.Errorf("code = %s, want bad_request (%s)", got, body)
			}
			if bytes.Contains(body, []byte(victim.Reveal())) {
				t.Error("error echoes a token")
			}
		})
	}
	if after := countTokens(t, e); after != before {
		t.Errorf("tokens %d → %d: refused input wrote", before, after)
	}
	if v, _ := e.mgr.Verify(context.Background(), victim); !v.Valid {
		t.Error("victim token was revoked by refused input")
	}
}
