package webhook

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/gitlab"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/revoker"
)

// GitLab's Token Revocation API (docs/http-api.md#gitlab-token-revocation-api):
// self-managed GitLab sends the tokens its secret detection finds here and
// expects each revoked by its issuer. The routes exist only when
// Config.GitLabToken is set; GitLab authenticates with it as a bearer
// token (compared in constant time; it is not a leakguard token).
const (
	gitLabTypesPath  = "/v1/gitlab/revocable_token_types"
	gitLabRevokePath = "/v1/gitlab/revoke_tokens"
	// ActorGitLab is the revoking actor of tokens GitLab reported.
	ActorGitLab = "gitlab-secret-detection"
)

// ErrThrottled is a request leakguard cannot complete now because an
// issuer throttles it: 429 with Retry-After.
var ErrThrottled = errors.New("throttled")

// throttled is ErrThrottled with the time to retry after.
type throttled struct{ after time.Duration }

func (t throttled) Error() string {
	return fmt.Sprintf("%v: an issuer asks to wait %s before the rest of this batch", ErrThrottled, t.after.Round(time.Second))
}
func (t throttled) Is(target error) bool      { return target == ErrThrottled }
func (t throttled) RetryAfter() time.Duration { return t.after }

// gitLabRoutes registers the Token Revocation API when it is configured.
func (s *Server) gitLabRoutes(mux *http.ServeMux) {
	if s.cfg.GitLabToken.IsZero() {
		return
	}
	mux.Handle("GET "+gitLabTypesPath, s.gitLabAuthed(func(w http.ResponseWriter, _ *http.Request) error {
		writeJSON(w, http.StatusOK, gitlab.RevocableTypes{Types: gitlab.Types(s.cfg.Manager.Catalog())})
		return nil
	}))
	mux.Handle("POST "+gitLabRevokePath, s.gitLabAuthed(s.gitLabRevoke))
}

// gitLabAuthed checks the pre-shared bearer token before h runs, and
// writes h's error (429 and 503 with Retry-After).
func (s *Server) gitLabAuthed(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	want := []byte(s.cfg.GitLabToken.Reveal())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fmt.Errorf("%w: GitLab's bearer token is missing or wrong", ErrUnauthorized)
		if got, berr := bearerSecret(r.Header.Get("Authorization")); berr == nil &&
			subtle.ConstantTimeCompare([]byte(got.Reveal()), want) == 1 {
			err = h(w, r)
		}
		if err == nil {
			return
		}
		if status, _ := errorStatus(err); status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", retryAfterHeader(err))
		}
		s.fail(w, r, err)
	})
}

// gitLabRevoke takes one batch: every token is identified by its prefix and
// checksum (the type GitLab gives must be one it may send, but never
// decides whose token it is); ours are revoked through the resolver
// (reason "leaked: gitlab <location>"), others are reported to their
// issuer. 204 only once all of it is durable: a revocation the store did
// not take is 503, a report an issuer throttles is 429, and GitLab sends
// the batch again, which finds what is done done (idempotent).
func (s *Server) gitLabRevoke(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > s.cfg.MaxBatchBytes {
		return fmt.Errorf("%w: batch of %d bytes, at most %d allowed", ErrTooLarge, r.ContentLength, s.cfg.MaxBatchBytes)
	}
	toks, err := gitlab.DecodeRevokeTokens(r.Body, s.cfg.MaxBatchBytes)
	switch {
	case errors.Is(err, gitlab.ErrRevokeTokensTooLarge):
		return fmt.Errorf("%w: %v", ErrTooLarge, err)
	case err != nil:
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	types := gitlab.TypeFormats(s.cfg.Manager.Catalog())
	reps := make([]revoker.Report, len(toks))
	for i, t := range toks {
		if _, ok := types[t.Type]; !ok {
			return fmt.Errorf("%w: item %d: unsupported type %q (GET %s lists them)", ErrBadRequest, i, t.Type, gitLabTypesPath)
		}
		reps[i] = revoker.Report{Secret: t.Token, Source: leakguard.SourceGitLab, URL: t.Location, Actor: ActorGitLab}
	}
	var res revoker.Resolver = s.cfg.Revoker
	if s.cfg.Reporter != nil {
		res = &issuers.Resolver{Next: s.cfg.Revoker, Reporter: s.cfg.Reporter}
	}
	outs, err := res.Resolve(r.Context(), reps, true)
	if err != nil {
		return fmt.Errorf("gitlab batch not durable: %w", err)
	}
	if wait, ok := s.pendingReports(outs); ok {
		return throttled{after: wait}
	}
	ours := 0
	for _, o := range outs {
		if o.Ours {
			ours++
		}
	}
	s.log.Info().Int("items", len(toks)).Int("distinct", len(outs)).Int("ours", ours).Msg("gitlab revocation batch handled")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pendingReports says whether a report to an issuer is still pending,
// and how long until the earliest may be sent again.
func (s *Server) pendingReports(outs []revoker.Outcome) (time.Duration, bool) {
	var wait time.Duration
	pending := false
	for _, o := range outs {
		if o.Report == nil || o.Report.State.Final() {
			continue
		}
		d := max(o.Report.LeaseUntil.Sub(s.now()), time.Second)
		if !pending || d < wait {
			wait = d
		}
		pending = true
	}
	return wait, pending
}
