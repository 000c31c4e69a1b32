package gitlab_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/gitlab"
	"github.com/leakguard/leakguard/gitlab/gitlabtest"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/patterns"
)

var fixedNow = time.Unix(1_750_000_000, 0)

// glTokens returns n distinct GitLab-looking tokens.
func glTokens(n int) []patterns.Secret {
	out := make([]patterns.Secret, n)
	for i := range out {
		out[i] = patterns.NewSecret(fmt.Sprintf("glpat-LeakguardSelfRevokeTest%08d.01.0abcdef", i))
	}
	return out
}

// assertNoToken fails if s holds any of toks.
func assertNoToken(t *testing.T, what, s string, toks []patterns.Secret) {
	t.Helper()
	for _, tok := range toks {
		if !tok.IsZero() && strings.Contains(s, tok.Reveal()) {
			t.Fatalf("%s holds a token: %q", what, s)
		}
	}
}

func newRevoker(t *testing.T, base string, hc *http.Client) *gitlab.SelfRevoker {
	t.Helper()
	r, err := gitlab.NewSelfRevoker(base, hc, false)
	if err != nil {
		t.Fatal(err)
	}
	r.Now, r.UserAgent = func() time.Time { return fixedNow }, "leakguard-test"
	return r
}

func TestSelfRevokerAgainstFake(t *testing.T) {
	t.Parallel()
	ok := issuers.Answer{Status: 204, Text: "204 No Content"}
	invalid := issuers.Answer{Status: 401, Text: "401 Unauthorized"}
	tests := []struct {
		name   string
		prefix string
		n      int
		setup  func(*gitlabtest.Server, []patterns.Secret)
		want   []issuers.Answer
	}{
		{name: "revoked", n: 1, want: []issuers.Answer{ok}},
		{name: "several, one by one", n: 3, want: []issuers.Answer{ok, ok, ok}},
		{name: "under a sub-path", prefix: "/gitlab", n: 2, want: []issuers.Answer{ok, ok}},
		{
			name:  "already invalid",
			n:     2,
			setup: func(s *gitlabtest.Server, toks []patterns.Secret) { s.Revoke(toks[1].Hash()) },
			want:  []issuers.Answer{ok, invalid},
		},
		{
			name:  "throttled with Retry-After",
			n:     2,
			setup: func(s *gitlabtest.Server, _ []patterns.Secret) { s.Throttle(1, "42", time.Time{}) },
			want:  []issuers.Answer{{Status: 429, Text: "429 Too Many Requests", RetryAfter: 42 * time.Second}, ok},
		},
		{
			name:  "throttled with RateLimit-Reset",
			n:     1,
			setup: func(s *gitlabtest.Server, _ []patterns.Secret) { s.Throttle(1, "", fixedNow.Add(2*time.Minute)) },
			want:  []issuers.Answer{{Status: 429, Text: "429 Too Many Requests", RetryAfter: 2 * time.Minute}},
		},
		{
			name: "server echoes the token",
			n:    1,
			setup: func(s *gitlabtest.Server, toks []patterns.Secret) {
				s.Revoke(toks[0].Hash())
				s.EchoTokens(true)
			},
			want: []issuers.Answer{{Status: 401, Text: "401 Unauthorized: 401 Unauthorized: token [REDACTED] is revoked"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := gitlabtest.NewUnder(tt.prefix)
			t.Cleanup(srv.Close)
			toks := glTokens(tt.n)
			if tt.setup != nil {
				tt.setup(srv, toks)
			}
			got, err := newRevoker(t, srv.URL(), srv.Client()).Send(context.Background(), toks)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d answers, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("answer %d = %+v, want %+v", i, got[i], tt.want[i])
				}
				assertNoToken(t, "Text", got[i].Text, toks)
			}
			calls := srv.Calls()
			if len(calls) != tt.n {
				t.Fatalf("%d requests, want %d (one per token)", len(calls), tt.n)
			}
			for i, c := range calls {
				if got, want := c.Hash, toks[i].Hash(); got != want {
					t.Errorf("request %d carried token hash %s, want %s", i, got, want)
				}
				if c.RawQuery != "" || c.BodyLen != 0 || c.Authorization {
					t.Errorf("request %d: query %q, body %d bytes, Authorization %v; want the token in PRIVATE-TOKEN only",
						i, c.RawQuery, c.BodyLen, c.Authorization)
				}
			}
		})
	}
}

// TestSelfRevokerTwice: the second report of a token is "already invalid".
func TestSelfRevokerTwice(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.New()
	t.Cleanup(srv.Close)
	r := newRevoker(t, srv.URL(), srv.Client())
	toks := glTokens(1)
	for i, want := range []int{204, 401} {
		got, err := r.Send(context.Background(), toks)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Status != want {
			t.Errorf("send %d: status %d, want %d", i+1, got[0].Status, want)
		}
	}
	if !srv.Revoked(toks[0].Hash()) {
		t.Error("the fake does not hold the token revoked")
	}
}

// TestSelfRevokerNoRedirect: a 302 is the answer; the host it points to
// never receives the token (net/http would forward PRIVATE-TOKEN, not
// being one of the headers it strips).
func TestSelfRevokerNoRedirect(t *testing.T) {
	t.Parallel()
	var got atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got.Store(true) }))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	ans, err := newRevoker(t, srv.URL, srv.Client()).Send(context.Background(), glTokens(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ans[0].Status, http.StatusFound; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if got.Load() {
		t.Error("the redirect was followed")
	}
}

func TestSelfRevokerMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"message object", 400, `{"message":{"token":["is invalid"]}}`, `400 Bad Request: {"token":["is invalid"]}`},
		{"oauth error", 401, `{"error":"invalid_token","error_description":"Token was revoked."}`, "401 Unauthorized: invalid_token: Token was revoked."},
		{"plain text", 403, "Forbidden", "403 Forbidden"},
		{"control characters", 400, `{"message":"bad\n\u0000news"}`, `400 Bad Request: bad\n\x00news`},
		{"unknown status", 599, `{"message":"odd"}`, "599: odd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			got, err := newRevoker(t, srv.URL, srv.Client()).Send(context.Background(), glTokens(1))
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Text != tt.want {
				t.Errorf("Text = %q, want %q", got[0].Text, tt.want)
			}
		})
	}
}

// endless is a body that never ends, counting what was read of it.
type endless struct{ n *atomic.Int64 }

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n.Add(int64(len(p)))
	return len(p), nil
}

func (endless) Close() error { return nil }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSelfRevokerBodyCap: at most 64 KiB of an answer is read.
func TestSelfRevokerBodyCap(t *testing.T) {
	t.Parallel()
	var read atomic.Int64
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 401, Header: http.Header{}, Body: endless{&read}, Request: r}, nil
	})}
	got, err := newRevoker(t, "", hc).Send(context.Background(), glTokens(2))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := got[1].Text, "401 Unauthorized"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if n := read.Load(); n > 2*64<<10 {
		t.Errorf("read %d bytes of two answers, want at most %d", n, 2*64<<10)
	}
}

func TestSelfRevokerRefuses(t *testing.T) {
	t.Parallel()
	srv := gitlabtest.New()
	t.Cleanup(srv.Close)
	r := newRevoker(t, srv.URL(), srv.Client())
	bad := patterns.NewSecret("glpat-abc\r\nX-Evil: 1")
	for _, toks := range [][]patterns.Secret{
		{glTokens(1)[0], {}},
		{glTokens(1)[0], bad},
		{patterns.NewSecret("glpat-with space")},
	} {
		_, err := r.Send(context.Background(), toks)
		if err == nil {
			t.Errorf("Send accepted a token a header cannot carry")
			continue
		}
		assertNoToken(t, "error", err.Error(), toks)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d requests made, want none (every token is checked first)", n)
	}
	if got, err := r.Send(context.Background(), nil); len(got) != 0 || err != nil {
		t.Errorf("no tokens: %v, %v; want nothing", got, err)
	}
}

func TestNewSelfRevoker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base      string
		allowHTTP bool
		url       string // "" : refused
	}{
		{"", false, "https://gitlab.com/api/v4/personal_access_tokens/self"},
		{"https://example.org/gitlab/", false, "https://example.org/gitlab/api/v4/personal_access_tokens/self"},
		{"https://example.org/gitlab", false, "https://example.org/gitlab/api/v4/personal_access_tokens/self"},
		{"http://[::1]:9", false, "http://[::1]:9/api/v4/personal_access_tokens/self"},
		{"http://gitlab.example.org/", false, ""},
		{"http://gitlab.example.org/", true, "http://gitlab.example.org/api/v4/personal_access_tokens/self"},
		{"https://user:pw@gitlab.example.org/", false, ""},
		{"https://gitlab.example.org/#x", false, ""},
		{"gitlab.example.org", false, ""},
	}
	for _, tt := range tests {
		r, err := gitlab.NewSelfRevoker(tt.base, nil, tt.allowHTTP)
		if tt.url == "" {
			if err == nil {
				t.Errorf("NewSelfRevoker(%q, %v) accepted", tt.base, tt.allowHTTP)
			} else if strings.Contains(err.Error(), "pw") {
				t.Errorf("error quotes user information: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewSelfRevoker(%q, %v): %v", tt.base, tt.allowHTTP, err)
			continue
		}
		if got := r.URL(); got != tt.url {
			t.Errorf("NewSelfRevoker(%q).URL() = %q, want %q", tt.base, got, tt.url)
		}
	}
}

// TestSelfRevokerTransportError: no answer is an error without a token.
func TestSelfRevokerTransportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	toks := glTokens(2)
	_, err := newRevoker(t, base, nil).Send(context.Background(), toks)
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	assertNoToken(t, "error", err.Error(), toks)

	live := gitlabtest.New()
	t.Cleanup(live.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newRevoker(t, live.URL(), live.Client()).Send(ctx, toks); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: err = %v, want context.Canceled", err)
	}
}
