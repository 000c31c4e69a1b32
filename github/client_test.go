package github_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/patterns"
	"github.com/rs/zerolog"
)

const testToken = "ghp_testtokenNOTREAL0000000000000000"

// fakeSleep records waits instead of sleeping.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

func newClient(t *testing.T, srv *githubtest.Server, sl *fakeSleep, log io.Writer) *github.Client {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	c, err := github.New(github.Options{
		APIURL: srv.URL(), Token: patterns.NewSecret(testToken), Sleep: sl.Sleep,
		Logger: zerolog.New(log),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addRepos(srv *githubtest.Server, owner string, n int) {
	for i := range n {
		srv.AddRepo(githubtest.Repo{Owner: owner, Name: fmt.Sprintf("r%03d", i), CloneURL: "file:///nowhere"})
	}
}

func TestRepositoriesPaginationAndFilters(t *testing.T) {
	t.Parallel()
	srv := githubtest.New()
	defer srv.Close()
	srv.Token = testToken
	addRepos(srv, "acme", 230)
	srv.AddRepo(
		githubtest.Repo{Owner: "acme", Name: "zz-fork", Fork: true},
		githubtest.Repo{Owner: "acme", Name: "zz-old", Archived: true},
		githubtest.Repo{Owner: "acme", Name: "zz-private", Visibility: "private"},
	)
	var logs strings.Builder
	sl := &fakeSleep{}
	c := newClient(t, srv, sl, &logs)
	tests := []struct {
		name        string
		sel         github.Selector
		want, skips int
	}{
		{"default", github.Selector{Org: "acme"}, 231, 2},
		{"forks and archived", github.Selector{Org: "acme", Forks: true, Archived: true}, 233, 0},
		{"private only", github.Selector{Org: "acme", Visibility: "private"}, 1, 232},
		{"one repo", github.Selector{Repo: "acme/zz-fork"}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repos, skipped, err := c.Repositories(context.Background(), tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(repos), tc.want; got != want {
				t.Errorf("repositories = %d, want %d", got, want)
			}
			if got, want := len(skipped), tc.skips; got != want {
				t.Errorf("skipped = %d, want %d (%v)", got, want, skipped)
			}
		})
	}
	pages := 0
	for _, r := range srv.Requests() {
		if !r.Authorized {
			t.Errorf("request %s %s without the token", r.Method, r.Path)
		}
		if strings.Contains(r.RawQuery, testToken) || strings.Contains(r.Path, testToken) {
			t.Errorf("token in URL: %s?%s", r.Path, r.RawQuery)
		}
		if r.Path == "/orgs/acme/repos" && strings.Contains(r.RawQuery, "per_page=100") {
			pages++
		}
	}
	if pages < 3 {
		t.Errorf("listing pages fetched = %d, want ≥ 3 (Link pagination)", pages)
	}
	if strings.Contains(logs.String(), testToken) {
		t.Error("token in logs")
	}
	if len(sl.Waits()) != 0 {
		t.Errorf("waited %v without any rate limit", sl.Waits())
	}
}

func TestUserFallback(t *testing.T) {
	t.Parallel()
	srv := githubtest.New()
	defer srv.Close()
	addRepos(srv, "alice", 3)
	srv.MarkUser("alice")
	c := newClient(t, srv, &fakeSleep{}, nil)
	repos, _, err := c.Repositories(context.Background(), github.Selector{Org: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(repos), 3; got != want {
		t.Errorf("repositories = %d, want %d", got, want)
	}
}

func TestRateLimitsAreWaitedOut(t *testing.T) {
	t.Parallel()
	srv := githubtest.New()
	defer srv.Close()
	addRepos(srv, "acme", 250)
	// the first listing request gets a secondary-limit 403 with
	// Retry-After, the next one a primary-limit 403 (remaining 0, reset in
	// an hour); both are waited out with the fake sleeper
	srv.PrimaryLimitAfter(1)
	srv.SecondaryLimit("/orgs/acme/repos", 1)
	sl := &fakeSleep{}
	c := newClient(t, srv, sl, nil)
	repos, _, err := c.Repositories(context.Background(), github.Selector{Org: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(repos), 250; got != want {
		t.Fatalf("repositories = %d, want %d", got, want)
	}
	waits := sl.Waits()
	var sawRetryAfter, sawPrimary bool
	for _, w := range waits {
		sawRetryAfter = sawRetryAfter || w == 7*time.Second
		sawPrimary = sawPrimary || (w > 50*time.Minute && w <= time.Hour)
	}
	if !sawRetryAfter || !sawPrimary {
		t.Errorf("waits = %v, want one of 7s (Retry-After) and one of about an hour (reset)", waits)
	}
}

func TestTransportWaits(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name    string
		status  int
		headers map[string]string
		body    string
		want    time.Duration // first wait; 0 = none
	}{
		{"ok", 200, map[string]string{"X-RateLimit-Remaining": "10"}, "[]", 0},
		{"retry-after 429", 429, map[string]string{"Retry-After": "30"}, "", 30 * time.Second},
		{"primary 403", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(now.Unix() + 120)}, "", 121 * time.Second},
		{"secondary without header", 403, nil, `{"message":"You have exceeded a secondary rate limit"}`, time.Minute},
		{"plain 403 is an error", 403, map[string]string{"X-RateLimit-Remaining": "50"}, `{"message":"Resource not accessible"}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				calls++
				rec := httptest.NewRecorder()
				if calls == 1 {
					for k, v := range tc.headers {
						rec.Header().Set(k, v)
					}
					rec.WriteHeader(tc.status)
					io.WriteString(rec, tc.body)
				} else {
					rec.WriteHeader(200)
				}
				return rec.Result(), nil
			})
			sl := &fakeSleep{}
			tr := &github.RateLimitTransport{Next: next, Now: func() time.Time { return now }, Sleep: sl.Sleep}
			req := httptest.NewRequest("GET", "https://api.github.com/x", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			waits := sl.Waits()
			if tc.want == 0 {
				if len(waits) != 0 || resp.StatusCode != tc.status {
					t.Errorf("waits %v status %d, want none and %d", waits, resp.StatusCode, tc.status)
				}
				return
			}
			if len(waits) != 1 || waits[0] != tc.want || resp.StatusCode != 200 {
				t.Errorf("waits %v status %d, want [%v] then 200", waits, resp.StatusCode, tc.want)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAuthHeaderOnlyToAPIHost(t *testing.T) {
	t.Parallel()
	var got []string
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r.URL.Host+"="+r.Header.Get("Authorization"))
		return httptest.NewRecorder().Result(), nil
	})
	tr := &github.AuthTransport{Next: next, Token: patterns.NewSecret("tok"), Host: "api.github.com"}
	for _, u := range []string{"https://api.github.com/a", "https://evil.example/a"} {
		if _, err := tr.RoundTrip(httptest.NewRequest("GET", u, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"api.github.com=Bearer tok", "evil.example="}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("headers = %v, want %v", got, want)
	}
}
