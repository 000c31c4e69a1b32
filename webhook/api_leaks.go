package webhook

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
)

// MaxStatusHashes caps the hashes of one POST /v1/tokens/status request
// (500 hashes fit the default body cap).
const MaxStatusHashes = 500

// Bounds of a leak report's location fields.
const (
	maxLeakPath = 4096
	maxLeakURL  = 2048
)

// scanRoutes registers the routes `leakguard scan --server` and `leakguard
// hook pre-receive --server` use. All take token hashes only, so a
// scanning machine never sends a plaintext token, and all admit service
// tokens (CI scanners and git servers hold those, not admin ones).
func (s *Server) scanRoutes(mux *http.ServeMux) {
	mux.Handle("POST /v1/tokens/status", s.authed(true, s.tokenStatus))
	mux.Handle("POST /v1/tokens/leaks", s.authed(true, s.reportLeak))
	mux.Handle("POST /v1/tokens/bypasses", s.authed(true, s.reportBypass))
}

type statusRequest struct {
	TokenHashes []string `json:"token_hashes"`
}

type hashStatus struct {
	TokenHash string          `json:"token_hash"`
	Status    leakguard.State `json:"status"`
}

type statusResponse struct {
	Tokens []hashStatus `json:"tokens"`
}

// tokenStatus is POST /v1/tokens/status: {token_hashes:[...]} (1 to
// MaxStatusHashes SHA-256 hex hashes) → 200 {tokens:[{token_hash,status}]}
// in request order, status one of active, revoked, expired, unknown (not a
// token of this server). It reads only.
func (s *Server) tokenStatus(w http.ResponseWriter, r *http.Request, _ *store.Token) error {
	var req statusRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if n := len(req.TokenHashes); n == 0 || n > MaxStatusHashes {
		return fmt.Errorf("%w: token_hashes must hold 1 to %d hashes, not %d", ErrBadRequest, MaxStatusHashes, n)
	}
	for i, h := range req.TokenHashes {
		if !leakguard.ValidHash(h) {
			return fmt.Errorf("%w: token_hashes[%d] is not a SHA-256 hex hash (64 lower-case hex digits)", ErrBadRequest, i)
		}
	}
	reps := make([]revoker.Report, len(req.TokenHashes))
	for i, h := range req.TokenHashes {
		reps[i] = revoker.Report{Hash: h}
	}
	outs, err := s.cfg.Revoker.Resolve(r.Context(), reps, false)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	got := make(map[string]leakguard.State, len(outs))
	for _, o := range outs {
		got[string(o.Hash)] = o.State
	}
	resp := statusResponse{Tokens: make([]hashStatus, len(req.TokenHashes))}
	for i, h := range req.TokenHashes {
		resp.Tokens[i] = hashStatus{TokenHash: h, Status: got[h]}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type leakRequest struct {
	TokenHash string           `json:"token_hash"`
	Source    leakguard.Source `json:"source"`
	Path      string           `json:"path"`
	Line      int              `json:"line"`
	Commit    string           `json:"commit"`
	URL       string           `json:"url"`
}

type leakResponse struct {
	TokenHash string           `json:"token_hash"`
	Status    leakguard.State  `json:"status"`
	Action    leakguard.Action `json:"action"`
}

// reportLeak is POST /v1/tokens/leaks: {token_hash, source, path, line,
// commit, url} → 200 {token_hash, status, action}. It runs the revoker's
// leak flow: an active token of ours is revoked with reason "leaked:
// <source> <path>:<line> [commit <sha>]" (built here from the fields, never
// taken as free text), one leak_reported event and a token.revoked
// notification; action "revoked". Anything else changes nothing (action
// "none", status the token's state, or unknown).
func (s *Server) reportLeak(w http.ResponseWriter, r *http.Request, caller *store.Token) error {
	var req leakRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	// The location is cleaned and every token in it redacted by the
	// revoker (revoker.Reason), as for every other source.
	outs, err := s.cfg.Revoker.Resolve(r.Context(), []revoker.Report{{
		Hash: req.TokenHash, Source: req.Source, Path: req.Path, Line: req.Line,
		Commit: req.Commit, URL: req.URL, Actor: actor(caller),
	}}, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, leakResponse{TokenHash: req.TokenHash, Status: outs[0].State, Action: outs[0].Action})
	return nil
}

// validate checks a leak report's fields.
func (q *leakRequest) validate() error {
	switch {
	case !leakguard.ValidHash(q.TokenHash):
		return fmt.Errorf("%w: token_hash must be a SHA-256 hex hash (64 lower-case hex digits)", ErrBadRequest)
	case !q.Source.Scanned():
		return fmt.Errorf("%w: source must be one of file, stdin, diff, staged, git, github-org", ErrBadRequest)
	case len(q.Path) > maxLeakPath || len(q.URL) > maxLeakURL:
		return fmt.Errorf("%w: path or url too long", ErrBadRequest)
	case q.Line < 0:
		return fmt.Errorf("%w: line must not be negative", ErrBadRequest)
	case q.Commit != "" && !isHex(q.Commit, 40, 64):
		return fmt.Errorf("%w: commit must be a full hex object id", ErrBadRequest)
	}
	return nil
}

// isHex reports whether s is lower-case hex of one of the lengths.
func isHex(s string, lengths ...int) bool {
	ok := false
	for _, n := range lengths {
		ok = ok || len(s) == n
	}
	return ok && strings.Trim(s, "0123456789abcdef") == ""
}
