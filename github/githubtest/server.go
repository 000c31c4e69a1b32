// Package githubtest is a fake GitHub REST API for tests: it speaks the
// real wire format (JSON bodies, Link pagination, x-ratelimit-* headers,
// secondary-limit 403s with Retry-After) for repository listing and
// secret-scanning alerts, and serves clone URLs the test chooses (local
// bare repositories). CredentialsServer is a fake of the unauthenticated
// "Revoke a list of credentials" route, which records credentials by hash
// only. It holds test data only.
package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Repo is a repository the fake serves.
type Repo struct {
	Owner, Name string
	CloneURL    string
	Fork        bool
	Archived    bool
	Visibility  string // "" = public
}

// FullName is owner/name.
func (r Repo) FullName() string { return r.Owner + "/" + r.Name }

// Alert is a secret-scanning alert the fake serves.
type Alert struct {
	Number            int
	Repo              string // owner/name
	SecretType        string
	Secret            string
	State             string // open (default) or resolved
	Resolution        string
	ResolutionComment string
}

// Request is one request the fake received.
type Request struct {
	Method, Path, RawQuery string
	Authorized             bool
	Body                   string
}

// Server is the fake GitHub API.
type Server struct {
	*httptest.Server
	Token string // required bearer token ("" = none)

	mu        sync.Mutex
	repos     []Repo
	alerts    []*Alert
	requests  []Request
	limitLeft int            // requests before a primary-limit 403 (0: never)
	secondary map[string]int // path → secondary-limit 403s still to send
	users     map[string]bool
}

// New starts a fake GitHub API; Close it when done.
func New() *Server {
	s := &Server{secondary: map[string]int{}, users: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL returns the API root with a trailing slash.
func (s *Server) URL() string { return s.Server.URL + "/" }

// AddRepo adds repositories.
func (s *Server) AddRepo(r ...Repo) { s.mu.Lock(); s.repos = append(s.repos, r...); s.mu.Unlock() }

// MarkUser makes owner a user (its /orgs/ listing is a 404).
func (s *Server) MarkUser(owner string) { s.mu.Lock(); s.users[owner] = true; s.mu.Unlock() }

// AddAlert adds alerts.
func (s *Server) AddAlert(a ...Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range a {
		if a[i].State == "" {
			a[i].State = "open"
		}
		s.alerts = append(s.alerts, &a[i])
	}
}

// AlertByNumber returns a copy of an alert's current state.
func (s *Server) AlertByNumber(n int) Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.alerts {
		if a.Number == n {
			return *a
		}
	}
	return Alert{}
}

// PrimaryLimitAfter makes the request after the next n answer once with a
// primary rate-limit 403 (x-ratelimit-remaining: 0, reset in an hour); the
// budget is then full again.
func (s *Server) PrimaryLimitAfter(n int) { s.mu.Lock(); s.limitLeft = n + 1; s.mu.Unlock() }

// SecondaryLimit makes the next n requests to path answer with a
// secondary-limit 403 carrying Retry-After: 7.
func (s *Server) SecondaryLimit(path string, n int) {
	s.mu.Lock()
	s.secondary[path] = n
	s.mu.Unlock()
}

// Requests returns the requests so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var body strings.Builder
	if r.Body != nil {
		_, _ = io.Copy(&body, io.LimitReader(r.Body, 1<<20))
	}
	auth := s.Token == "" || r.Header.Get("Authorization") == "Bearer "+s.Token
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Authorized: auth, Body: body.String()})
	limited := s.rateLimit(w, r)
	s.mu.Unlock()
	if limited {
		return
	}
	if !auth {
		writeError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	s.route(w, r, body.String())
}

// rateLimit writes the x-ratelimit headers and, when a limit is due, the
// 403; it reports whether it did. Called with s.mu held.
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request) bool {
	reset := time.Now().Add(time.Hour).Unix()
	h := w.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	h.Set("X-RateLimit-Resource", "core")
	if s.limitLeft > 0 {
		s.limitLeft--
		if s.limitLeft == 0 {
			h.Set("X-RateLimit-Remaining", "0")
			writeError(w, http.StatusForbidden, "API rate limit exceeded for user ID 1.")
			return true
		}
	}
	if n := s.secondary[r.URL.Path]; n > 0 {
		s.secondary[r.URL.Path] = n - 1
		h.Set("X-RateLimit-Remaining", "4000")
		h.Set("Retry-After", "7")
		writeError(w, http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
		return true
	}
	h.Set("X-RateLimit-Remaining", "4999")
	return false
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body string) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos":
		s.listRepos(w, r, parts[1], true)
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "users" && parts[2] == "repos":
		s.listRepos(w, r, parts[1], false)
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "repos":
		s.getRepo(w, parts[1]+"/"+parts[2])
	case r.Method == "GET" && len(parts) == 4 && parts[0] == "orgs" && parts[2] == "secret-scanning":
		s.listAlerts(w, r, parts[1])
	case r.Method == "PATCH" && len(parts) == 6 && parts[0] == "repos" && parts[3] == "secret-scanning":
		s.patchAlert(w, parts[1]+"/"+parts[2], parts[5], body)
	default:
		writeError(w, http.StatusNotFound, "Not Found")
	}
}

func (s *Server) listRepos(w http.ResponseWriter, r *http.Request, owner string, org bool) {
	s.mu.Lock()
	if org && s.users[owner] {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var out []map[string]any
	for _, rp := range s.repos {
		if rp.Owner == owner {
			out = append(out, s.repoJSON(rp))
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i]["full_name"].(string) < out[j]["full_name"].(string) })
	writePage(w, r, out)
}

func (s *Server) getRepo(w http.ResponseWriter, full string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rp := range s.repos {
		if rp.FullName() == full {
			writeJSON(w, http.StatusOK, s.repoJSON(rp))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

// repoJSON is a repository in GitHub's REST shape (the fields leakguard and
// go-github read, and a few more).
func (s *Server) repoJSON(r Repo) map[string]any {
	vis := r.Visibility
	if vis == "" {
		vis = "public"
	}
	return map[string]any{
		"id": len(r.FullName()), "node_id": "R_test", "name": r.Name, "full_name": r.FullName(),
		"owner":   map[string]any{"login": r.Owner, "type": "Organization"},
		"private": vis != "public", "visibility": vis, "fork": r.Fork, "archived": r.Archived,
		"html_url":  "https://github.com/" + r.FullName(),
		"url":       s.Server.URL + "/repos/" + r.FullName(),
		"clone_url": r.CloneURL, "default_branch": "main", "size": 1,
		"pushed_at": "2025-01-02T03:04:05Z",
	}
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, org string) {
	state := r.URL.Query().Get("state")
	s.mu.Lock()
	var out []map[string]any
	for _, a := range s.alerts {
		if !strings.HasPrefix(a.Repo, org+"/") || (state != "" && a.State != state) {
			continue
		}
		out = append(out, s.alertJSON(a))
	}
	s.mu.Unlock()
	writePage(w, r, out)
}

func (s *Server) alertJSON(a *Alert) map[string]any {
	m := map[string]any{
		"number": a.Number, "state": a.State, "secret_type": a.SecretType,
		"secret_type_display_name": a.SecretType, "secret": a.Secret,
		"created_at": "2025-01-02T03:04:05Z",
		"url":        fmt.Sprintf("%s/repos/%s/secret-scanning/alerts/%d", s.Server.URL, a.Repo, a.Number),
		"html_url":   fmt.Sprintf("https://github.com/%s/security/secret-scanning/%d", a.Repo, a.Number),
		"repository": map[string]any{"full_name": a.Repo, "name": strings.SplitN(a.Repo, "/", 2)[1]},
	}
	if a.Resolution != "" {
		m["resolution"] = a.Resolution
		m["resolution_comment"] = a.ResolutionComment
	}
	return m
}

func (s *Server) patchAlert(w http.ResponseWriter, repo, num, body string) {
	var upd struct {
		State             string  `json:"state"`
		Resolution        *string `json:"resolution"`
		ResolutionComment *string `json:"resolution_comment"`
	}
	if err := json.Unmarshal([]byte(body), &upd); err != nil || (upd.State == "resolved" && upd.Resolution == nil) {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed")
		return
	}
	n, _ := strconv.Atoi(num)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.alerts {
		if a.Repo == repo && a.Number == n {
			a.State = upd.State
			if upd.Resolution != nil {
				a.Resolution = *upd.Resolution
			}
			if upd.ResolutionComment != nil {
				a.ResolutionComment = *upd.ResolutionComment
			}
			writeJSON(w, http.StatusOK, s.alertJSON(a))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

// writePage writes one page of items with GitHub's Link header (page and
// per_page query parameters; per_page defaults to 30, at most 100).
func writePage(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	last := max((len(items)+per-1)/per, 1)
	lo, hi := min((page-1)*per, len(items)), min(page*per, len(items))
	var links []string
	link := func(p int, rel string) {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(per))
		u.RawQuery = v.Encode()
		links = append(links, fmt.Sprintf("<%s>; rel=%q", u.String(), rel))
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
		link(page-1, "prev")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	page0 := items[lo:hi]
	if page0 == nil {
		page0 = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, page0)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}
