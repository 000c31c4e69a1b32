package github_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/patterns"
)

// ghTokens returns n distinct GitHub-looking tokens.
func ghTokens(n int) []patterns.Secret {
	out := make([]patterns.Secret, n)
	for i := range out {
		out[i] = patterns.NewSecret(fmt.Sprintf("ghp_LeakguardRevokeTest%013d", i))
	}
	return out
}

// hashes returns the tokens' SHA-256 hex hashes.
func hashes(toks []patterns.Secret) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Hash()
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

var fixedNow = time.Unix(1_750_000_000, 0)

func newRevoker(t *testing.T, base string, hc *http.Client) *github.CredentialsRevoker {
	t.Helper()
	r, err := github.NewCredentialsRevoker(base, hc, false)
	if err != nil {
		t.Fatal(err)
	}
	r.Now, r.UserAgent = func() time.Time { return fixedNow }, "leakguard-test"
	return r
}

func TestCredentialsRevokerAgainstFake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		n      int
		setup  func(*githubtest.CredentialsServer)
		status int
		text   string
		retry  time.Duration
	}{
		{name: "accepted", n: 3, status: 202, text: "202 Accepted"},
		{name: "one", n: 1, status: 202, text: "202 Accepted"},
		{name: "full batch", n: github.MaxRevokeCredentials, status: 202, text: "202 Accepted"},
		{
			name:   "throttled",
			n:      2,
			setup:  func(s *githubtest.CredentialsServer) { s.Throttle(1, time.Time{}) },
			status: 422, text: "422 Unprocessable Entity: Validation Failed",
		},
		{
			name:   "throttled with rate-limit reset",
			n:      2,
			setup:  func(s *githubtest.CredentialsServer) { s.Throttle(1, fixedNow.Add(90*time.Second)) },
			status: 422, text: "422 Unprocessable Entity: Validation Failed", retry: 90 * time.Second,
		},
		{
			name: "server echoes the tokens",
			n:    2,
			setup: func(s *githubtest.CredentialsServer) {
				s.Throttle(1, time.Time{})
				s.EchoCredentials(true)
			},
			status: 422, text: `422 Unprocessable Entity: Validation Failed: ["[REDACTED]","[REDACTED]"]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.NewCredentialsServer()
			t.Cleanup(srv.Close)
			if tt.setup != nil {
				tt.setup(srv)
			}
			toks := ghTokens(tt.n)
			got, err := newRevoker(t, srv.URL(), srv.Client()).Send(context.Background(), toks)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(got), tt.n; got != want {
				t.Fatalf("%d answers, want %d", got, want)
			}
			want := issuers.Answer{Status: tt.status, Text: tt.text, RetryAfter: tt.retry}
			for i, a := range got {
				if a != want {
					t.Fatalf("answer %d = %+v, want %+v", i, a, want)
				}
				assertNoToken(t, "Text", a.Text, toks)
			}
			if got, want := srv.BatchSizes(), []int{tt.n}; !slices.Equal(got, want) {
				t.Errorf("batch sizes = %v, want %v", got, want)
			}
			if got, want := srv.Received(), hashes(toks); !slices.Equal(got, want) {
				t.Errorf("received hashes differ from the tokens sent")
			}
			c := srv.Calls()[0]
			if c.Authorized {
				t.Error("an Authorization header was sent")
			}
			for _, h := range [][2]string{
				{c.Accept, "application/vnd.github+json"},
				{c.APIVersion, "2022-11-28"},
				{c.ContentType, "application/json"},
				{c.UserAgent, "leakguard-test"},
			} {
				if h[0] != h[1] {
					t.Errorf("header = %q, want %q", h[0], h[1])
				}
			}
		})
	}
}

// authTransport adds an Authorization header, as a careless client would.
type authTransport struct{ next http.RoundTripper }

func (a authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer ghp_someone")
	return a.next.RoundTrip(r)
}

// TestCredentialsRevokerAuthorizedIsRefused: GitHub (and the fake) refuse
// an authenticated call; the answer is the 403, read as throttling by the
// issuer table.
func TestCredentialsRevokerAuthorizedIsRefused(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewCredentialsServer()
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: authTransport{next: srv.Client().Transport}}
	got, err := newRevoker(t, srv.URL(), hc).Send(context.Background(), ghTokens(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := got[0].Status, http.StatusForbidden; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
}

func TestCredentialsRevokerRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"seconds", map[string]string{"Retry-After": "30"}, 30 * time.Second},
		{"http date", map[string]string{"Retry-After": fixedNow.Add(2 * time.Minute).UTC().Format(http.TimeFormat)}, 2 * time.Minute},
		{"retry-after wins", map[string]string{"Retry-After": "5", "X-RateLimit-Remaining": "0",
			"X-RateLimit-Reset": strconv.FormatInt(fixedNow.Unix()+600, 10)}, 5 * time.Second},
		{"reset when spent", map[string]string{"X-RateLimit-Remaining": "0",
			"X-RateLimit-Reset": strconv.FormatInt(fixedNow.Unix()+600, 10)}, 10 * time.Minute},
		{"reset ignored while budget left", map[string]string{"X-RateLimit-Remaining": "3",
			"X-RateLimit-Reset": strconv.FormatInt(fixedNow.Unix()+600, 10)}, 0},
		{"junk", map[string]string{"Retry-After": "later"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.headers {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = io.WriteString(w, `{"message":"API rate limit exceeded","documentation_url":"https://docs.github.com/rest"}`)
			}))
			t.Cleanup(srv.Close)
			got, err := newRevoker(t, srv.URL, srv.Client()).Send(context.Background(), ghTokens(1))
			if err != nil {
				t.Fatal(err)
			}
			want := issuers.Answer{Status: 429, Text: "429 Too Many Requests: API rate limit exceeded", RetryAfter: tt.want}
			if got[0] != want {
				t.Errorf("answer = %+v, want %+v", got[0], want)
			}
		})
	}
}

// TestCredentialsRevokerNoRedirect: a 302 is the answer; the host it
// points to never hears of the tokens.
func TestCredentialsRevokerNoRedirect(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Store(true) }))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	got, err := newRevoker(t, srv.URL, srv.Client()).Send(context.Background(), ghTokens(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := got[0].Status, http.StatusFound; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if followed.Load() {
		t.Error("the redirect was followed")
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

// TestCredentialsRevokerBodyCap: at most 64 KiB of an answer is read.
func TestCredentialsRevokerBodyCap(t *testing.T) {
	t.Parallel()
	var read atomic.Int64
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 422, Header: http.Header{}, Body: endless{&read}, Request: r}, nil
	})}
	got, err := newRevoker(t, "", hc).Send(context.Background(), ghTokens(2))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := got[0].Text, "422 Unprocessable Entity"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if n := read.Load(); n > 64<<10 {
		t.Errorf("read %d bytes of the answer, want at most %d", n, 64<<10)
	}
}

// TestCredentialsRevokerLongMessage: a long message that quotes a token
// past the cut is cut and holds no token.
func TestCredentialsRevokerLongMessage(t *testing.T) {
	t.Parallel()
	toks := ghTokens(1)
	msg := strings.Repeat("é\x00\"\\", 100) + toks[0].Reveal()[:10] + toks[0].Reveal()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = fmt.Fprintf(w, `{"message":%q}`, msg)
	}))
	t.Cleanup(srv.Close)
	got, err := newRevoker(t, srv.URL, srv.Client()).Send(context.Background(), toks)
	if err != nil {
		t.Fatal(err)
	}
	text := got[0].Text
	assertNoToken(t, "Text", text, toks)
	if len(text) > 260 || strings.ContainsRune(text, 0) {
		t.Errorf("Text not escaped and cut (%d bytes): %q", len(text), text)
	}
}

func TestCredentialsRevokerRefuses(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewCredentialsServer()
	t.Cleanup(srv.Close)
	r := newRevoker(t, srv.URL(), srv.Client())
	if _, err := r.Send(context.Background(), ghTokens(github.MaxRevokeCredentials+1)); !errors.Is(err, github.ErrTooManyCredentials) {
		t.Errorf("1001 credentials: err = %v, want ErrTooManyCredentials", err)
	}
	if _, err := r.Send(context.Background(), []patterns.Secret{{}}); err == nil {
		t.Error("an empty credential was sent")
	}
	if got, err := r.Send(context.Background(), nil); got != nil || err != nil {
		t.Errorf("no credentials: %v, %v; want nothing", got, err)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d requests made, want none", n)
	}
}

func TestNewCredentialsRevoker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base      string
		allowHTTP bool
		url       string // "" : refused
	}{
		{"", false, "https://api.github.com/credentials/revoke"},
		{"https://ghe.example.org/api/v3", false, "https://ghe.example.org/api/v3/credentials/revoke"},
		{"https://ghe.example.org/api/v3/", false, "https://ghe.example.org/api/v3/credentials/revoke"},
		{"http://127.0.0.1:9/", false, "http://127.0.0.1:9/credentials/revoke"},
		{"http://api.example.org/", false, ""},
		{"http://api.example.org/", true, "http://api.example.org/credentials/revoke"},
		{"https://user:pw@api.example.org/", false, ""},
		{"https://api.example.org/?x=1", false, ""},
		{"ftp://api.example.org/", false, ""},
	}
	for _, tt := range tests {
		r, err := github.NewCredentialsRevoker(tt.base, nil, tt.allowHTTP)
		if tt.url == "" {
			if err == nil {
				t.Errorf("NewCredentialsRevoker(%q, %v) accepted", tt.base, tt.allowHTTP)
			} else if strings.Contains(err.Error(), "pw") {
				t.Errorf("error quotes user information: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewCredentialsRevoker(%q, %v): %v", tt.base, tt.allowHTTP, err)
			continue
		}
		if got := r.URL(); got != tt.url {
			t.Errorf("NewCredentialsRevoker(%q).URL() = %q, want %q", tt.base, got, tt.url)
		}
	}
}

// TestCredentialsRevokerTransportError: no answer is an error, which names
// neither a token nor more than the URL.
func TestCredentialsRevokerTransportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	toks := ghTokens(2)
	_, err := newRevoker(t, base, nil).Send(context.Background(), toks)
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	assertNoToken(t, "error", err.Error(), toks)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	live := githubtest.NewCredentialsServer()
	t.Cleanup(live.Close)
	if _, err := newRevoker(t, live.URL(), live.Client()).Send(ctx, toks); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: err = %v, want context.Canceled", err)
	}
}
