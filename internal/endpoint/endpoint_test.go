package endpoint_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/internal/endpoint"
)

var checkTests = []struct {
	name     string
	in       string
	insecure bool
	ok       bool
}{
	{"https", "https://leakguard.example.org", false, true},
	{"https with path", "https://example.org/gitlab/", false, true},
	{"http loopback v4", "http://127.0.0.1:8080", false, true},
	{"http loopback v6", "http://[::1]:8080/x", false, true},
	{"http localhost", "http://localhost:1", false, true},
	{"http localhost upper", "http://LOCALHOST:1", false, true},
	{"http remote", "http://leakguard.example.org", false, false},
	{"http remote insecure", "http://leakguard.example.org", true, true},
	{"http 127 prefix name", "http://127.0.0.1.example.org", false, false},
	{"userinfo", "https://user:pw@leakguard.example.org", false, false},
	{"userinfo insecure", "http://user:pw@leakguard.example.org", true, false},
	{"user only", "https://pw@leakguard.example.org", false, false},
	{"file", "file:///etc/passwd", false, false},
	{"bad scheme", "htp:/x", false, false},
	{"not a url", "not a url", false, false},
	{"opaque", "https:opaque", false, false},
	{"relative", "/relative", false, false},
	{"no host", "https://:8443/", false, false},
	{"empty", "", false, false},
	{"control char", "https://example.org/\x00pw", false, false},
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range checkTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := endpoint.Check(tt.in, tt.insecure)
			if got := err == nil; got != tt.ok {
				t.Fatalf("Check(%q, %v) ok = %v, want %v (%v)", tt.in, tt.insecure, got, tt.ok, err)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("error quotes user information: %v", err)
			}
			if err == nil && u.Host == "" {
				t.Errorf("Check(%q) = %v: no host", tt.in, u)
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"10.0.0.1", false},
		{"example.org", false},
		{"localhost.example.org", false},
		{"", false},
		{"[::1]", false}, // a hostname, not host:port or bracketed
	}
	for _, tt := range tests {
		if got := endpoint.Loopback(tt.host); got != tt.want {
			t.Errorf("Loopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestNoRedirects(t *testing.T) {
	t.Parallel()
	var followed bool
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed = true }))
	t.Cleanup(target.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	t.Cleanup(srv.Close)

	base := srv.Client()
	c := endpoint.NoRedirects(base)
	if base.CheckRedirect != nil {
		t.Error("NoRedirects modified its argument")
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusFound; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if followed {
		t.Error("redirect followed")
	}

	d := endpoint.NoRedirects(nil)
	if got, want := d.Timeout, endpoint.DefaultTimeout; got != want {
		t.Errorf("default timeout = %v, want %v", got, want)
	}
	if d.CheckRedirect == nil {
		t.Error("default client follows redirects")
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"seconds", "120", 2 * time.Minute, true},
		{"zero", "0", 0, true},
		{"spaces", " 7 ", 7 * time.Second, true},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"past date", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"huge", "99999999999999999", 365 * 24 * time.Hour, true},
		{"negative", "-5", 0, false},
		{"empty", "", 0, false},
		{"junk", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := endpoint.RetryAfter(tt.in, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestEpoch(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"future", "1700000060", time.Minute, true},
		{"past", "1699999000", 0, true},
		{"zero", "0", 0, false},
		{"junk", "x", 0, false},
		{"empty", "", 0, false},
		{"year 10000", "253402300800", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := endpoint.Epoch(tt.in, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Epoch(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzCheck: an accepted URL is absolute http(s) with a host and no user
// information, plain http only to loopback unless insecure; an error never
// quotes user information: it is fixed or names the host alone.
func FuzzCheck(f *testing.F) {
	fixed := map[string]bool{
		"want an absolute http(s) URL such as https://leakguard.example.org": true,
		"no credentials in the URL": true,
	}
	for _, tt := range checkTests {
		f.Add(tt.in, tt.insecure)
	}
	f.Fuzz(func(t *testing.T, raw string, insecure bool) {
		u, err := endpoint.Check(raw, insecure)
		if err != nil {
			// The message is fixed, or names the host alone.
			msg := err.Error()
			if fixed[msg] {
				return
			}
			p, perr := url.Parse(raw)
			if perr != nil || msg != "http://"+p.Host+": plain http only to a loopback address; use https" {
				t.Fatalf("Check(%q): error may quote more than the host: %v", raw, err)
			}
			return
		}
		if u.User != nil || u.Hostname() == "" || u.Opaque != "" {
			t.Fatalf("Check(%q) accepted %#v", raw, u)
		}
		switch u.Scheme {
		case "https":
		case "http":
			if !insecure && !endpoint.Loopback(u.Hostname()) {
				t.Fatalf("Check(%q, false) accepted plain http to %q", raw, u.Hostname())
			}
		default:
			t.Fatalf("Check(%q) accepted scheme %q", raw, u.Scheme)
		}
	})
}
