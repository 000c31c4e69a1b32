// Package gitlabtest is a fake GitLab for tests: it serves the "Revoke a
// personal access token" route on the token itself (DELETE
// /api/v4/personal_access_tokens/self with PRIVATE-TOKEN), in GitLab's wire
// format: 204 the first time a token is revoked, 401 {"message":"401
// Unauthorized"} for a token already revoked or missing, and, when told to,
// rack-attack's 429 with Retry-After and RateLimit-* headers. It records
// tokens by SHA-256 hex hash only, never the token. It holds test data
// only.
package gitlabtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SelfPath is the route, under the instance's root.
const SelfPath = "/api/v4/personal_access_tokens/self"

// Call is one request to the route.
type Call struct {
	Hash     string // SHA-256 hex of the PRIVATE-TOKEN header ("" : none)
	Status   int    // the status answered
	RawQuery string // the URL's query (a token must never be there)
	BodyLen  int    // bytes of request body (a token must never be there)
	// Authorization is whether an Authorization header was present.
	Authorization bool
}

// Server is the fake GitLab.
type Server struct {
	*httptest.Server
	prefix string

	mu         sync.Mutex
	revoked    map[string]bool
	calls      []Call
	throttle   int
	retryAfter string
	reset      time.Time
	echo       bool
}

// New starts a fake GitLab at the root of its URL; Close it when done.
func New() *Server { return NewUnder("") }

// NewUnder starts a fake GitLab installed under the sub-path prefix
// ("/gitlab"); Close it when done.
func NewUnder(prefix string) *Server {
	s := &Server{prefix: "/" + strings.Trim(prefix, "/"), revoked: map[string]bool{}}
	if s.prefix == "/" {
		s.prefix = ""
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL returns the instance's base URL, with a trailing slash.
func (s *Server) URL() string { return s.Server.URL + s.prefix + "/" }

// Hash returns the SHA-256 hex hash the fake records a token by.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Revoke marks a token (by its hash) already revoked: it is answered 401.
func (s *Server) Revoke(hash string) { s.mu.Lock(); s.revoked[hash] = true; s.mu.Unlock() }

// Revoked reports whether the token of hash is revoked.
func (s *Server) Revoked(hash string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked[hash]
}

// Throttle makes the next n requests answer 429 with Retry-After:
// retryAfter ("" : none) and, with a non-zero reset, RateLimit-Remaining:
// 0, RateLimit-Reset (Unix seconds) and RateLimit-ResetTime.
func (s *Server) Throttle(n int, retryAfter string, reset time.Time) {
	s.mu.Lock()
	s.throttle, s.retryAfter, s.reset = n, retryAfter, reset
	s.mu.Unlock()
}

// EchoTokens makes 401 answers quote the token they received, as a
// careless server might.
func (s *Server) EchoTokens(on bool) { s.mu.Lock(); s.echo = on; s.mu.Unlock() }

// Calls returns the requests to the route so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.prefix+SelfPath {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not Found"})
		return
	}
	if r.Method != http.MethodDelete {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "405 Method Not Allowed"})
		return
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	tok := r.Header.Get("PRIVATE-TOKEN")
	c := Call{RawQuery: r.URL.RawQuery, BodyLen: int(n), Authorization: r.Header.Get("Authorization") != ""}
	if tok != "" {
		c.Hash = Hash(tok)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Status = s.answer(w, c.Hash, tok)
	s.calls = append(s.calls, c)
}

// answer writes the answer and returns its status. Called with s.mu held.
func (s *Server) answer(w http.ResponseWriter, hash, tok string) int {
	h := w.Header()
	if s.throttle > 0 {
		s.throttle--
		if s.retryAfter != "" {
			h.Set("Retry-After", s.retryAfter)
		}
		if !s.reset.IsZero() {
			h.Set("RateLimit-Name", "throttle_authenticated_api")
			h.Set("RateLimit-Limit", "60")
			h.Set("RateLimit-Remaining", "0")
			h.Set("RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
			h.Set("RateLimit-ResetTime", s.reset.UTC().Format(http.TimeFormat))
		}
		h.Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, "Retry later\n")
		return http.StatusTooManyRequests
	}
	if hash == "" || s.revoked[hash] {
		msg := "401 Unauthorized"
		if s.echo && tok != "" {
			msg += ": token " + tok + " is revoked"
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": msg})
		return http.StatusUnauthorized
	}
	s.revoked[hash] = true
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
