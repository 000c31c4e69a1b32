package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// bypassBody is a bypass report of the token with hash, as a pre-receive
// hook sends it, with the fields of mod changed (nil: left out).
func bypassBody(t testing.TB, hash string, mod map[string]any) string {
	t.Helper()
	m := map[string]any{"token_hash": hash, "source": "git", "repository": "/srv/git/app.git",
		"ref": "refs/heads/main", "pusher": "alice", "reason": "test fixture"}
	for k, v := range mod {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return string(jsonBody(t, m))
}

// bypassAnswer is the route's 200 answer.
type bypassAnswer struct {
	TokenHash string `json:"token_hash"`
	Status    string `json:"status"`
	Recorded  bool   `json:"recorded"`
}

// TestBypassRouteAuth: the bypass route admits service and admin tokens,
// as the other scan routes; any other caller learns and writes nothing.
func TestBypassRouteAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	svc, user, gone := e.issue(t, patterns.TypeService), e.issue(t, patterns.TypeUser), e.issue(t, patterns.TypeService)
	if _, _, err := e.mgr.Revoke(context.Background(), lifecycle.RevokeRequest{Secret: gone, Reason: "retired", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	target := e.issue(t, patterns.TypeUser)
	tests := []struct {
		name   string
		bearer patterns.Secret
		want   int
		events int // target's events after the call, cumulative
	}{
		{"user", user, http.StatusForbidden, 1},
		{"anonymous", patterns.Secret{}, http.StatusUnauthorized, 1},
		{"revoked service token", gone, http.StatusUnauthorized, 1},
		{"service", svc, http.StatusOK, 2},
		{"admin", e.admin, http.StatusOK, 3},
	}
	for _, tc := range tests {
		resp, body := e.api(t, "POST", "/v1/tokens/bypasses", tc.bearer, bypassBody(t, target.Hash(), nil))
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status = %d, want %d; body %s", tc.name, resp.StatusCode, tc.want, body)
		}
		if n := len(e.events(t, target.Hash())); n != tc.events {
			t.Errorf("%s: target has %d events, want %d", tc.name, n, tc.events)
		}
	}
}

// TestBypassRouteStates: a bypass of a token of ours, whatever its state,
// adds one leak_reported event naming the caller and built from the
// fields, and changes nothing else: no revocation, no notification. An
// unknown hash (never issued, or another issuer's token) writes nothing.
func TestBypassRouteStates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	svc := e.issue(t, patterns.TypeService)
	caller := "token:" + e.token(t, svc.Hash()).ID
	revoked := e.issue(t, patterns.TypeUser)
	if _, _, err := e.mgr.Revoke(ctx, lifecycle.RevokeRequest{Secret: revoked, Reason: "leaked: file a.env:1",
		Kind: store.EventLeakReported, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if notes := len(e.outbox(t)); notes != 1 { // the revocation's
		t.Fatalf("outbox holds %d notifications before the bypasses, want 1", notes)
	}
	tests := []struct {
		name     string
		token    patterns.Secret
		ours     bool
		status   string
		recorded bool
	}{
		{"active", e.issue(t, patterns.TypeUser), true, "active", true},
		{"active service", e.issue(t, patterns.TypeService), true, "active", true},
		{"revoked", revoked, true, "revoked", true},
		{"expired", storeExpired(t, e), true, "expired", true},
		{"never issued", generate(t, "leakguard-user"), false, "unknown", false},
		{"another issuer's", generate(t, "github-pat"), false, "unknown", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.token.Hash()
			var was *store.Token
			before := 0
			if tc.ours {
				was, before = e.token(t, h), len(e.events(t, h))
			}
			resp, body := e.api(t, "POST", "/v1/tokens/bypasses", svc, bypassBody(t, h, nil))
			wantStatus(t, resp, body, http.StatusOK)
			var got bypassAnswer
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if want := (bypassAnswer{h, tc.status, tc.recorded}); got != want {
				t.Errorf("answer = %+v, want %+v", got, want)
			}
			if !tc.ours {
				if _, err := e.raw.TokenByHash(ctx, h); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("unknown hash: store now has it (%v)", err)
				}
				return
			}
			evs := e.events(t, h)
			if len(evs) != before+1 {
				t.Fatalf("events = %d, want %d", len(evs), before+1)
			}
			last := evs[len(evs)-1]
			if last.Kind != string(store.EventLeakReported) || last.Actor != caller || last.Source != "git" ||
				last.Detail != "push bypassed by alice: test fixture (push /srv/git/app.git refs/heads/main)" {
				t.Errorf("event = %+v", last)
			}
			now := e.token(t, h)
			if now.Valid != was.Valid || now.InvalidReason != was.InvalidReason || now.RevokedBy != was.RevokedBy {
				t.Errorf("token changed: valid %v→%v, reason %q→%q", was.Valid, now.Valid, was.InvalidReason, now.InvalidReason)
			}
		})
	}
	if n := len(e.outbox(t)); n != 1 {
		t.Errorf("outbox holds %d notifications after the bypasses, want 1 (the earlier revocation's)", n)
	}
}

// TestBypassRouteBadInput: malformed bypass reports are refused (400, or
// 413 over the body cap) with the API's error shape, and write nothing.
func TestBypassRouteBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	svc := e.issue(t, patterns.TypeService)
	target := e.issue(t, patterns.TypeUser)
	h := target.Hash()
	tests := []struct {
		name string
		body string
		want int
	}{
		{"no hash", bypassBody(t, h, map[string]any{"token_hash": nil}), http.StatusBadRequest},
		{"upper-case hash", bypassBody(t, strings.ToUpper(h), nil), http.StatusBadRequest},
		{"plaintext instead of hash", bypassBody(t, target.Reveal(), nil), http.StatusBadRequest},
		{"hashes array", `{"token_hashes":["` + h + `"],"source":"git","repository":"r","ref":"m","reason":"x"}`, http.StatusBadRequest},
		{"no source", bypassBody(t, h, map[string]any{"source": nil}), http.StatusBadRequest},
		{"source file", bypassBody(t, h, map[string]any{"source": "file"}), http.StatusBadRequest},
		{"no reason", bypassBody(t, h, map[string]any{"reason": nil}), http.StatusBadRequest},
		{"blank reason", bypassBody(t, h, map[string]any{"reason": " \t "}), http.StatusBadRequest},
		{"reason of controls only", bypassBody(t, h, map[string]any{"reason": "\x1b\u202e\u2028"}), http.StatusBadRequest},
		{"no repository", bypassBody(t, h, map[string]any{"repository": nil}), http.StatusBadRequest},
		{"no ref", bypassBody(t, h, map[string]any{"ref": ""}), http.StatusBadRequest},
		{"repository too long", bypassBody(t, h, map[string]any{"repository": strings.Repeat("r", 4097)}), http.StatusBadRequest},
		{"ref too long", bypassBody(t, h, map[string]any{"ref": strings.Repeat("r", 4097)}), http.StatusBadRequest},
		{"pusher too long", bypassBody(t, h, map[string]any{"pusher": strings.Repeat("p", 2049)}), http.StatusBadRequest},
		{"reason too long", bypassBody(t, h, map[string]any{"reason": strings.Repeat("x", 2049)}), http.StatusBadRequest},
		{"reason not a string", bypassBody(t, h, map[string]any{"reason": 1}), http.StatusBadRequest},
		{"unknown field", bypassBody(t, h, map[string]any{"actor": "someone else"}), http.StatusBadRequest},
		{"not JSON", `{"token_hash":`, http.StatusBadRequest},
		{"empty body", ``, http.StatusBadRequest},
		{"body over the cap", bypassBody(t, h, map[string]any{"reason": strings.Repeat("x", 70<<10)}), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.api(t, "POST", "/v1/tokens/bypasses", svc, tc.body)
			wantStatus(t, resp, body, tc.want)
			if code := errorCode(t, body); (tc.want == http.StatusBadRequest) != (code == "bad_request") {
				t.Errorf("code = %q", code)
			}
			if strings.Contains(string(body), target.Reveal()) {
				t.Error("the error quotes the plaintext token")
			}
		})
	}
	if n := len(e.events(t, h)); n != 1 {
		t.Errorf("target has %d events after bad input, want 1 (issued)", n)
	}
	if n := len(e.outbox(t)); n != 0 {
		t.Errorf("outbox holds %d notifications after bad input", n)
	}
}

// TestBypassDetailIsCleaned: what the pusher's side sends (repository,
// ref, pusher, reason) reaches the event's detail, the answer and the log
// with control, line-separator and bidi characters dropped, a token of
// any default format pasted into it (split by a control character)
// redacted, and each field cut to 512 bytes; on SQLite and PostgreSQL
// alike, as the leaks route's path and url.
func TestBypassDetailIsCleaned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, e := range textEnvs(t) {
		t.Run(e.name, func(t *testing.T) {
			iss, err := e.mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "o", Name: "n", Actor: "t", Source: "t"})
			if err != nil {
				t.Fatal(err)
			}
			var answers []string
			for id, pasted := range sampleTokens() {
				for _, field := range []string{"repository", "ref", "pusher", "reason"} {
					v := "x\u202e\x1b[2J\u2028" + pasted[:len(pasted)/2] + "\x00" + pasted[len(pasted)/2:] + "\u0085y"
					body := bypassBody(t, iss.Token.Hash, map[string]any{field: v})
					w := e.call("POST", "/v1/tokens/bypasses", []byte(body))
					if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"recorded":true`) {
						t.Fatalf("%s in %s: %d %s, want it recorded", id, field, w.Code, w.Body)
					}
					answers = append(answers, w.Body.String())
				}
			}
			long := bypassBody(t, iss.Token.Hash, map[string]any{"reason": strings.Repeat("é", 1024)}) // 2048 bytes
			if w := e.call("POST", "/v1/tokens/bypasses", []byte(long)); w.Code != http.StatusOK {
				t.Fatalf("a 2048-byte reason: %d %s", w.Code, w.Body)
			}
			evs, err := e.st.Events(ctx, iss.Token.ID)
			if err != nil {
				t.Fatal(err)
			}
			var details []string
			for _, ev := range evs[1:] {
				if ev.Kind != store.EventLeakReported || !strings.HasPrefix(ev.Detail, "push bypassed by ") {
					t.Errorf("event %+v", ev)
				}
				if strings.ContainsAny(ev.Detail, "\u202e\x1b\u2028\x00\u0085") {
					t.Errorf("detail %q keeps a control, separator or bidi character", ev.Detail)
				}
				details = append(details, ev.Detail)
			}
			if last := details[len(details)-1]; !strings.HasPrefix(last, "push bypassed by alice: "+strings.Repeat("é", 256)+" (push ") {
				t.Errorf("the long reason is not cut to 512 bytes: %q", last)
			}
			tok, err := e.st.TokenByID(ctx, iss.Token.ID)
			if err != nil || !tok.Valid {
				t.Errorf("token after the bypasses: %+v, %v; want it still valid", tok, err)
			}
			_ = e.mgr.Close()
			where := map[string]string{"details": strings.Join(details, "\n"), "answers": strings.Join(answers, "\n"),
				"rows": e.dump(t), "log": e.log.take()}
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

// storeExpired stores a token of ours whose expiry has passed (not yet
// marked by the sweeper) and returns it.
func storeExpired(t testing.TB, e *env) patterns.Secret {
	t.Helper()
	f, ok := patterns.Default().Issued(patterns.TypeUser)
	if !ok {
		t.Fatal("no issued user format")
	}
	s, err := f.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := store.RandomID("tok_")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	past := now.Add(-time.Hour)
	tok := &store.Token{ID: id, Hash: s.Hash(), Type: patterns.TypeUser, FormatID: f.ID, Owner: "o", Name: "n",
		Last4: s.Last4(), Valid: true, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: &past}
	if err := e.raw.CreateToken(context.Background(), tok, store.Event{Kind: store.EventIssued, At: tok.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	return s
}
