package github_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/patterns"
)

func TestGitAuthCredential(t *testing.T) {
	t.Parallel()
	a := github.GitAuth{Token: patterns.NewSecret(testToken), Hosts: []string{"github.com", "ghe.example:8443"}}
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + testToken))
	for _, tc := range []struct {
		name, url string
		sent      bool
	}{
		{"github https", "https://github.com/acme/api.git", true},
		{"host case", "https://GitHub.com/acme/api.git", true},
		{"port", "https://ghe.example:8443/acme/api.git", true},
		{"other host", "https://evil.example/acme/api.git", false},
		{"same host other port", "https://ghe.example/acme/api.git", false},
		{"ssh", "ssh://git@github.com/acme/api.git", false},
		{"scp-like", "git@github.com:acme/api.git", false},
		{"file", "file:///repos/api.git", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, value := a.GitCredential(tc.url)
			if !tc.sent {
				if key != "" || !value.IsZero() {
					t.Errorf("GitCredential(%q) = %q, want none", tc.url, key)
				}
				return
			}
			if got, want := key, "http.extraHeader"; got != want {
				t.Errorf("key = %q, want %q", got, want)
			}
			if got, want := value.Reveal(), "Authorization: Basic "+basic; got != want {
				t.Errorf("value is not the Basic x-access-token header")
			}
			if strings.Contains(value.String(), testToken) {
				t.Errorf("the value's String shows the token")
			}
		})
	}
	if key, _ := (github.GitAuth{Hosts: []string{"github.com"}}).GitCredential("https://github.com/a/b.git"); key != "" {
		t.Errorf("no token: key %q, want none", key)
	}
}

func TestGitAuthRedact(t *testing.T) {
	t.Parallel()
	a := github.GitAuth{Token: patterns.NewSecret(testToken), Hosts: []string{"github.com"}}
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + testToken))
	got := a.Redact("fatal: " + testToken + " header Basic " + basic)
	if strings.Contains(got, testToken) || strings.Contains(got, basic) {
		t.Errorf("Redact left a secret: %q", got)
	}
	if got, want := (github.GitAuth{}).Redact("plain"), "plain"; got != want {
		t.Errorf("Redact without a token = %q, want %q", got, want)
	}
}

func TestBlobURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, html, full, commit, path string
		line                           int
		want                           string
	}{
		{"line", "https://github.com/acme/api", "acme/api", "abc", "config/app.env", 3,
			"https://github.com/acme/api/blob/abc/config/app.env#L3"},
		{"default page", "", "acme/api", "abc", "a.txt", 1, "https://github.com/acme/api/blob/abc/a.txt#L1"},
		{"trailing slash", "https://ghe.example/acme/api/", "acme/api", "abc", "a.txt", 0,
			"https://ghe.example/acme/api/blob/abc/a.txt"},
		{"escaped", "", "acme/api", "abc", "dir with space/#x?.txt", 2,
			"https://github.com/acme/api/blob/abc/dir%20with%20space/%23x%3F.txt#L2"},
		{"no commit", "", "acme/api", "", "a.txt", 2, "https://github.com/acme/api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := github.BlobURL(tc.html, tc.full, tc.commit, tc.path, tc.line); got != tc.want {
				t.Errorf("BlobURL = %q, want %q", got, tc.want)
			}
		})
	}
}
