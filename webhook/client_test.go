package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
