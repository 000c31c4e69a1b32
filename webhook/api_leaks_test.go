package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// TestScanRoutesAuth: service and admin tokens may use the scan routes,
// user tokens and anonymous callers may not.
func TestScanRoutesAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	svc, user := e.issue(t, patterns.TypeService), e.issue(t, patterns.TypeUser)
	hash := patterns.HashToken("lgu_x")
	statusBody := `{"token_hashes":["` + hash + `"]}`
	leakBody := `{"token_hash":"` + hash + `","source":"file","path":"a","line":1}`
	tests := []struct {
		name, path, body string
		bearer           patterns.Secret
		want             int
	}{
		{"status service", "/v1/tokens/status", statusBody, svc, http.StatusOK},
		{"status admin", "/v1/tokens/status", statusBody, e.admin, http.StatusOK},
		{"status user", "/v1/tokens/status", statusBody, user, http.StatusForbidden},
		{"status anonymous", "/v1/tokens/status", statusBody, patterns.Secret{}, http.StatusUnauthorized},
		{"leak service", "/v1/tokens/leaks", leakBody, svc, http.StatusOK},
		{"leak user", "/v1/tokens/leaks", leakBody, user, http.StatusForbidden},
		{"leak anonymous", "/v1/tokens/leaks", leakBody, patterns.Secret{}, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.api(t, "POST", tc.path, tc.bearer, tc.body)
			wantStatus(t, resp, body, tc.want)
		})
	}
}

// TestScanRoutesBadInput: malformed requests are 400 and write nothing.
func TestScanRoutesBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	svc := e.issue(t, patterns.TypeService)
	h := patterns.HashToken("lgu_x")
	many := strings.TrimSuffix(strings.Repeat(`"`+h+`",`, 501), ",")
	tests := []struct{ name, path, body string }{
		{"status empty", "/v1/tokens/status", `{"token_hashes":[]}`},
		{"status too many", "/v1/tokens/status", `{"token_hashes":[` + many + `]}`},
		{"status upper-case hash", "/v1/tokens/status", `{"token_hashes":["` + strings.ToUpper(h) + `"]}`},
		{"status plaintext instead of hash", "/v1/tokens/status", `{"token_hashes":["lgu_abc"]}`},
		{"status unknown field", "/v1/tokens/status", `{"token_hashes":["` + h + `"],"x":1}`},
		{"leak no hash", "/v1/tokens/leaks", `{"source":"file"}`},
		{"leak bad source", "/v1/tokens/leaks", `{"token_hash":"` + h + `","source":"github-webhook"}`},
		{"leak negative line", "/v1/tokens/leaks", `{"token_hash":"` + h + `","source":"file","line":-1}`},
		{"leak short commit", "/v1/tokens/leaks", `{"token_hash":"` + h + `","source":"git","commit":"abc"}`},
		{"leak reason field", "/v1/tokens/leaks", `{"token_hash":"` + h + `","source":"git","reason":"free text"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.api(t, "POST", tc.path, svc, tc.body)
			wantStatus(t, resp, body, http.StatusBadRequest)
		})
	}
	if n := len(e.outbox(t)); n != 0 {
		t.Errorf("outbox holds %d notifications after bad input", n)
	}
}

// TestScanRoutesLeakFlow: status by hash, a leak report revoking once with
// the location in the reason, a replay changing nothing.
func TestScanRoutesLeakFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	svc := e.issue(t, patterns.TypeService)
	leaked := e.issue(t, patterns.TypeUser)
	h := leaked.Hash()
	unknown := patterns.HashToken("lgu_never_issued")
	commit := strings.Repeat("ab", 20)

	statuses := func() map[string]string {
		resp, body := e.api(t, "POST", "/v1/tokens/status", svc, `{"token_hashes":["`+h+`","`+unknown+`"]}`)
		wantStatus(t, resp, body, http.StatusOK)
		var got struct {
			Tokens []struct {
				TokenHash string `json:"token_hash"`
				Status    string `json:"status"`
			} `json:"tokens"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, s := range got.Tokens {
			m[s.TokenHash] = s.Status
		}
		return m
	}
	leak := func(hash string) (status, action string) {
		t.Helper()
		body := fmt.Sprintf(`{"token_hash":%q,"source":"git","path":"src/app.py","line":12,"commit":%q}`, hash, commit)
		resp, out := e.api(t, "POST", "/v1/tokens/leaks", svc, body)
		wantStatus(t, resp, out, http.StatusOK)
		if bytes.Contains(out, []byte(leaked.Reveal())) {
			t.Fatal("response holds the plaintext token")
		}
		var got struct{ Status, Action string }
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		return got.Status, got.Action
	}

	if got := statuses(); got[h] != "active" || got[unknown] != "unknown" {
		t.Fatalf("statuses before = %v", got)
	}
	if s, a := leak(h); s != "revoked" || a != "revoked" {
		t.Fatalf("first leak report = %s/%s, want revoked/revoked", s, a)
	}
	if s, a := leak(h); s != "revoked" || a != "none" {
		t.Fatalf("replayed leak report = %s/%s, want revoked/none", s, a)
	}
	if s, a := leak(unknown); s != "unknown" || a != "none" {
		t.Fatalf("unknown leak report = %s/%s, want unknown/none", s, a)
	}
	if got := statuses(); got[h] != "revoked" {
		t.Fatalf("statuses after = %v", got)
	}
	tok, err := e.raw.TokenByHash(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if want := "leaked: git src/app.py:12 commit " + commit; tok.InvalidReason != want {
		t.Errorf("reason = %q, want %q", tok.InvalidReason, want)
	}
	evs, err := e.raw.Events(context.Background(), tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	leaks := 0
	for _, ev := range evs {
		if ev.Kind == store.EventLeakReported {
			leaks++
			if !strings.HasPrefix(ev.Actor, "token:") {
				t.Errorf("leak event actor = %q, want the calling service token", ev.Actor)
			}
		}
	}
	if leaks != 1 {
		t.Errorf("%d leak_reported events, want 1", leaks)
	}
	if n := len(e.outbox(t)); n != 1 {
		t.Errorf("outbox holds %d notifications, want 1", n)
	}
}

// TestLeakLocationIsCleaned: a leak report's path and URL end up in the
// stored reason, the notification and the log; a token pasted there (of
// any default format, not only the reported one) is redacted, and what a
// label may not hold (control, line separator and bidi characters) is
// dropped, not refused: the leaked token is revoked whatever its file is
// called. On SQLite and PostgreSQL alike.
func TestLeakLocationIsCleaned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, e := range textEnvs(t) {
		t.Run(e.name, func(t *testing.T) {
			var reasons []string
			i := 0
			for id, pasted := range sampleTokens() {
				i++
				for _, field := range []string{"path", "url"} {
					iss, err := e.mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "o", Name: "n", Actor: "t", Source: "t"})
					if err != nil {
						t.Fatal(err)
					}
					loc := "src/\u202ecod\x1bx\u2028" + pasted[:len(pasted)/2] + "\x00" + pasted[len(pasted)/2:] + ".go"
					body, _ := json.Marshal(map[string]any{"token_hash": iss.Token.Hash, "source": "file", field: loc, "line": 3})
					w := e.call("POST", "/v1/tokens/leaks", body)
					if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"action":"revoked"`) {
						t.Fatalf("%s in %s: leak report = %d %s, want it revoked", id, field, w.Code, w.Body)
					}
					tok, err := e.st.TokenByID(ctx, iss.Token.ID)
					if err != nil {
						t.Fatal(err)
					}
					if strings.ContainsAny(tok.InvalidReason, "\u202e\x1b\u2028\x00") {
						t.Errorf("%s in %s: reason %q keeps a control or bidi character", id, field, tok.InvalidReason)
					}
					reasons = append(reasons, tok.InvalidReason)
				}
			}
			_ = e.mgr.Close()
			where := map[string]string{"reasons": strings.Join(reasons, "\n"), "rows": e.dump(t), "log": e.log.take()}
			for id, tok := range sampleTokens() {
				for name, text := range where {
					if strings.Contains(text, tok) {
						t.Errorf("%s: the %s hold the plaintext token", id, name)
					}
				}
			}
		})
	}
}
