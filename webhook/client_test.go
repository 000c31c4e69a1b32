package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/revoker/resolvertest"
	"github.com/leakguard/leakguard/webhook"
)

// TestClientConformance runs the Resolver suite on the HTTP API's client
// against a real server (the local resolver runs it in package revoker).
func TestClientConformance(t *testing.T) {
	t.Parallel()
	resolvertest.Run(t, func(t *testing.T) resolvertest.Env {
		e := newEnv(t, nil)
		c, err := webhook.NewClient(e.ts.URL, e.issue(t, patterns.TypeService), e.ts.Client(), patterns.Default())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return resolvertest.Env{
			Resolver: c,
			Issue:    e.issue,
			Reason: func(t testing.TB, hash string) string {
				tok, err := e.raw.TokenByHash(context.Background(), hash)
				if err != nil {
					t.Fatal(err)
				}
				return tok.InvalidReason
			},
			Notifications: func(t testing.TB) int {
				ns, err := e.raw.ClaimNotifications(context.Background(), time.Now().Add(time.Hour), 1000, time.Nanosecond)
				if err != nil {
					t.Fatal(err)
				}
				return len(ns)
			},
		}
	})
}

// TestClientBypassConformance runs the BypassRecorder suite on the HTTP
// API's client against a real server (POST /v1/tokens/bypasses): the
// server records under its caller, the service token.
func TestClientBypassConformance(t *testing.T) {
	t.Parallel()
	resolvertest.RunBypass(t, func(t *testing.T) resolvertest.BypassEnv {
		e := newEnv(t, nil)
		svc := e.issue(t, patterns.TypeService)
		c, err := webhook.NewClient(e.ts.URL, svc, e.ts.Client(), patterns.Default())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return resolvertest.BypassEnv{
			Env: resolvertest.Env{
				Resolver: c,
				Issue:    e.issue,
				Reason: func(t testing.TB, hash string) string {
					return e.token(t, hash).InvalidReason
				},
				Notifications: func(t testing.TB) int {
					ns, err := e.raw.ClaimNotifications(context.Background(), time.Now().Add(time.Hour), 1000, time.Nanosecond)
					if err != nil {
						t.Fatal(err)
					}
					return len(ns)
				},
			},
			Recorder: c,
			Actor:    "token:" + e.token(t, svc.Hash()).ID,
			Events:   e.events,
		}
	})
}

func TestCheckServerURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		insecure bool
		ok       bool
	}{
		{"https://leakguard.example.org", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://[::1]:8080/x", false, true},
		{"http://localhost:1", false, true},
		{"http://leakguard.example.org", false, false},
		{"http://leakguard.example.org", true, true},
		{"https://user:pw@leakguard.example.org", false, false},
		{"file:///etc/passwd", false, false},
		{"htp:/x", false, false},
		{"not a url", false, false},
		{"https:opaque", false, false},
		{"/relative", false, false},
		{"https://:8443/", false, false},
	}
	for _, tt := range tests {
		_, err := webhook.CheckServerURL(tt.in, tt.insecure)
		if got := err == nil; got != tt.ok {
			t.Errorf("CheckServerURL(%q, %v) ok = %v, want %v (%v)", tt.in, tt.insecure, got, tt.ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error quotes user information: %v", err)
		}
	}
}

// TestClientRefusesRedirects: a redirect is an error, and the bearer token
// is not sent on.
func TestClientRefusesRedirects(t *testing.T) {
	t.Parallel()
	var followed bool
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed = true }))
	t.Cleanup(target.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	c, err := webhook.NewClient(srv.URL, patterns.NewSecret("lgs_bearer"), nil, patterns.Default())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Resolve(context.Background(), []revoker.Report{{Hash: strings.Repeat("a", 64), Source: "file"}}, false)
	if err == nil || followed {
		t.Fatalf("err = %v, followed = %v; want an error and no request to the target", err, followed)
	}
}

// TestClientRecordBypassWire: RecordBypass sends POST /v1/tokens/bypasses
// with the bearer token and the hash and push fields only (never a token,
// never its own actor: the server names its caller), and turns the
// server's answers into outcomes or errors.
func TestClientRecordBypassWire(t *testing.T) {
	t.Parallel()
	h := patterns.HashToken("lgu_x")
	tests := []struct {
		name     string
		status   int
		answer   string
		want     revoker.BypassOutcome
		errorHas string
	}{
		{"recorded", 200, `{"token_hash":"` + h + `","status":"revoked","recorded":true}`,
			revoker.BypassOutcome{Hash: leakguard.Hash(h), State: leakguard.StateRevoked, Recorded: true}, ""},
		{"unknown", 200, `{"token_hash":"` + h + `","status":"unknown","recorded":false}`,
			revoker.BypassOutcome{Hash: leakguard.Hash(h), State: leakguard.StateUnknown}, ""},
		{"another hash", 200, `{"token_hash":"` + strings.Repeat("0", 64) + `","status":"active","recorded":true}`,
			revoker.BypassOutcome{Hash: leakguard.Hash(h), State: leakguard.StateUnknown}, "another hash"},
		{"a server without the route", 404, `{"error":{"code":"not_found","message":"no such route"}}`,
			revoker.BypassOutcome{Hash: leakguard.Hash(h), State: leakguard.StateUnknown}, "not_found"},
		{"refused", 400, `{"error":{"code":"bad_request","message":"bad request: reason must not be blank"}}`,
			revoker.BypassOutcome{Hash: leakguard.Hash(h), State: leakguard.StateUnknown}, "reason must not be blank"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got struct {
				method, path, auth string
				body               map[string]any
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got.method, got.path, got.auth = r.Method, r.URL.Path, r.Header.Get("Authorization")
				_ = json.NewDecoder(r.Body).Decode(&got.body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.answer)
			}))
			t.Cleanup(srv.Close)
			c, err := webhook.NewClient(srv.URL, patterns.NewSecret("lgs_bearer"), srv.Client(), patterns.Default())
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.RecordBypass(context.Background(), revoker.Bypass{Hash: strings.ToUpper(h), Repository: "/srv/git/app.git",
				Ref: "refs/heads/main", Pusher: "alice", Reason: "test fixture", Actor: "pre-receive:alice"})
			if tc.errorHas == "" && err != nil || tc.errorHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errorHas)) {
				t.Fatalf("err = %v, want one containing %q", err, tc.errorHas)
			}
			if out != tc.want {
				t.Errorf("outcome = %+v, want %+v", out, tc.want)
			}
			wantBody := map[string]any{"token_hash": h, "source": "git", "repository": "/srv/git/app.git",
				"ref": "refs/heads/main", "pusher": "alice", "reason": "test fixture"}
			if got.method != "POST" || got.path != "/v1/tokens/bypasses" || got.auth != "Bearer lgs_bearer" || !reflect.DeepEqual(got.body, wantBody) {
				t.Errorf("request = %s %s (%q) %v, want POST /v1/tokens/bypasses %v", got.method, got.path, got.auth, got.body, wantBody)
			}
		})
	}
}
