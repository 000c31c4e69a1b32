package githubtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// RevokeCall is one POST /credentials/revoke the CredentialsServer
// received: what it carried, with each credential as its SHA-256 hex hash
// (the fake never keeps a credential).
type RevokeCall struct {
	Hashes     []string // of the credentials, in order
	Status     int      // the status answered
	Authorized bool     // an Authorization header was present
	Accept     string
	APIVersion string // X-GitHub-Api-Version
	UserAgent  string
	// ContentType is the request's Content-Type.
	ContentType string
}

// CredentialsServer is a fake of GitHub's "Revoke a list of credentials"
// REST API (POST /credentials/revoke, unauthenticated): it answers 202 to
// a well-formed batch of 1 to 1000 credentials, 403 when an Authorization
// header is present (as GitHub does), 422 with GitHub's JSON error body to
// a malformed or oversized batch, or while told to throttle; with a reset
// time, a throttled answer carries x-ratelimit-remaining: 0 and
// x-ratelimit-reset. Any other route is a 404.
type CredentialsServer struct {
	*httptest.Server

	mu       sync.Mutex
	calls    []RevokeCall
	throttle int
	reset    time.Time
	echo     bool
}

// NewCredentialsServer starts the fake; Close it when done.
func NewCredentialsServer() *CredentialsServer {
	s := &CredentialsServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL returns the API root with a trailing slash.
func (s *CredentialsServer) URL() string { return s.Server.URL + "/" }

// Throttle makes the next n requests answer 422 ("the endpoint has been
// spammed"); with a non-zero reset, with x-ratelimit-remaining: 0 and
// x-ratelimit-reset: reset too.
func (s *CredentialsServer) Throttle(n int, reset time.Time) {
	s.mu.Lock()
	s.throttle, s.reset = n, reset
	s.mu.Unlock()
}

// EchoCredentials makes error answers quote the credentials they received
// in their message, as a careless server might.
func (s *CredentialsServer) EchoCredentials(on bool) { s.mu.Lock(); s.echo = on; s.mu.Unlock() }

// Calls returns the requests so far.
func (s *CredentialsServer) Calls() []RevokeCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RevokeCall(nil), s.calls...)
}

// Received returns the hashes of every credential received, in order.
func (s *CredentialsServer) Received() []string {
	var out []string
	for _, c := range s.Calls() {
		out = append(out, c.Hashes...)
	}
	return out
}

// BatchSizes returns how many credentials each request carried.
func (s *CredentialsServer) BatchSizes() []int {
	var out []int
	for _, c := range s.Calls() {
		out = append(out, len(c.Hashes))
	}
	return out
}

func (s *CredentialsServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/credentials/revoke" {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	var body struct {
		Credentials []string `json:"credentials"`
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	decodeErr := json.Unmarshal(raw, &body)
	c := RevokeCall{
		Authorized:  r.Header.Get("Authorization") != "",
		Accept:      r.Header.Get("Accept"),
		APIVersion:  r.Header.Get("X-GitHub-Api-Version"),
		UserAgent:   r.Header.Get("User-Agent"),
		ContentType: r.Header.Get("Content-Type"),
	}
	for _, cr := range body.Credentials {
		sum := sha256.Sum256([]byte(cr))
		c.Hashes = append(c.Hashes, hex.EncodeToString(sum[:]))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Status = s.answer(w, c, body.Credentials, decodeErr != nil)
	s.calls = append(s.calls, c)
}

// answer writes the answer to one request and returns its status. Called
// with s.mu held.
func (s *CredentialsServer) answer(w http.ResponseWriter, c RevokeCall, creds []string, malformed bool) int {
	msg := func(m string) string {
		if s.echo && len(creds) > 0 {
			b, _ := json.Marshal(creds)
			return m + ": " + string(b)
		}
		return m
	}
	switch {
	case c.Authorized:
		writeError(w, http.StatusForbidden, msg("Must not be authenticated to use this endpoint"))
		return http.StatusForbidden
	case s.throttle > 0:
		s.throttle--
		if !s.reset.IsZero() {
			w.Header().Set("X-RateLimit-Limit", "60")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
		}
		writeValidation(w, msg("Validation Failed"))
		return http.StatusUnprocessableEntity
	case malformed || len(creds) == 0 || len(creds) > 1000:
		writeValidation(w, msg("Invalid request"))
		return http.StatusUnprocessableEntity
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "{}\n")
	return http.StatusAccepted
}

// writeValidation writes GitHub's 422 body.
func writeValidation(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest/credentials/revoke#revoke-a-list-of-credentials",
		"status":            "422",
	})
}
