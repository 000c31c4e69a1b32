package github

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/leakguard/leakguard/patterns"
)

// DefaultWebURL is the web root of github.com, whose repository pages are
// DefaultWebURL + owner/name.
const DefaultWebURL = "https://github.com/"

// GitAuth authenticates git over HTTPS to GitHub with a token, as GitHub
// expects: an Authorization header with Basic credentials of user
// x-access-token, given to git as http.extraHeader. It sends the token
// only to Hosts. It is the Auth of package scanner/orgscan's mirrors.
type GitAuth struct {
	Token patterns.Secret // zero: no credential
	Hosts []string        // hosts (host[:port]) the token may go to (Client.GitHosts)
}

// GitCredential returns the http.extraHeader that carries the token to
// remoteURL, or an empty key when remoteURL is not http(s) on one of
// Hosts, or there is no token.
func (a GitAuth) GitCredential(remoteURL string) (key string, value patterns.Secret) {
	if a.Token.IsZero() {
		return "", patterns.Secret{}
	}
	u, err := url.Parse(remoteURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !a.allowed(u.Host) {
		return "", patterns.Secret{}
	}
	return "http.extraHeader", patterns.NewSecret("Authorization: Basic " + a.basic())
}

// Redact returns s with the token, and the Basic credentials made from it,
// replaced by patterns.Redacted.
func (a GitAuth) Redact(s string) string {
	if a.Token.IsZero() {
		return s
	}
	s = strings.ReplaceAll(s, a.basic(), patterns.Redacted)
	return strings.ReplaceAll(s, a.Token.Reveal(), patterns.Redacted)
}

// basic is the Basic credentials of the token.
func (a GitAuth) basic() string {
	return base64.StdEncoding.EncodeToString([]byte("x-access-token:" + a.Token.Reveal()))
}

func (a GitAuth) allowed(host string) bool {
	for _, h := range a.Hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// BlobURL links to a line of a file at a commit on GitHub:
// <htmlURL>/blob/<commit>/<path>#L<line>, each path segment escaped; no
// fragment when line is 0, the repository page when commit or path is
// empty. An empty htmlURL is github.com's page of fullName (owner/name).
// It is package scanner/orgscan's BlobURLFunc for GitHub.
func BlobURL(htmlURL, fullName, commit, path string, line int) string {
	base := strings.TrimSuffix(htmlURL, "/")
	if base == "" {
		base = DefaultWebURL + fullName
	}
	if commit == "" || path == "" {
		return base
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := base + "/blob/" + commit + "/" + strings.Join(segs, "/")
	if line > 0 {
		u += "#L" + strconv.Itoa(line)
	}
	return u
}
