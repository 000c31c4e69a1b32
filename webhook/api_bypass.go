package webhook

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
)

// Bounds of a bypass report's fields: the repository and the ref are
// bounded as a leak report's path, the pusher and the reason as its url.
const (
	maxBypassRepository = maxLeakPath
	maxBypassRef        = maxLeakPath
	maxBypassPusher     = maxLeakURL
	maxBypassReason     = maxLeakURL
)

type bypassRequest struct {
	TokenHash  string           `json:"token_hash"`
	Source     leakguard.Source `json:"source"`
	Repository string           `json:"repository"`
	Ref        string           `json:"ref"`
	Pusher     string           `json:"pusher"`
	Reason     string           `json:"reason"`
}

type bypassResponse struct {
	TokenHash string          `json:"token_hash"`
	Status    leakguard.State `json:"status"`
	Recorded  bool            `json:"recorded"`
}

// reportBypass is POST /v1/tokens/bypasses: {token_hash, source,
// repository, ref, pusher, reason} → 200 {token_hash, status, recorded}.
// A pre-receive hook reports so, one request per token of ours found, a
// push that its pusher let through with a reason. For a token of ours in
// any state it adds one leak_reported event, actor the caller
// ("token:<id>"), detail "push bypassed by <pusher>: <reason> (push
// <repository> <ref>)" built from the fields by revoker.BypassDetail
// (cleaned, bounded, tokens redacted); it never revokes and never
// notifies. An unknown hash writes nothing: recorded false, status
// unknown.
func (s *Server) reportBypass(w http.ResponseWriter, r *http.Request, caller *store.Token) error {
	var req bypassRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	out, err := s.cfg.Revoker.RecordBypass(r.Context(), revoker.Bypass{
		Hash: req.TokenHash, Source: req.Source, Repository: req.Repository, Ref: req.Ref,
		Pusher: req.Pusher, Reason: req.Reason, Actor: actor(caller),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, bypassResponse{TokenHash: req.TokenHash, Status: out.State, Recorded: out.Recorded})
	return nil
}

// validate checks a bypass report's fields. The text fields are bounded
// here and cleaned where the detail is built; a reason, repository or ref
// that is blank once cleaned is refused (a blank reason is no bypass).
func (q *bypassRequest) validate() error {
	switch {
	case !leakguard.ValidHash(q.TokenHash):
		return fmt.Errorf("%w: token_hash must be a SHA-256 hex hash (64 lower-case hex digits)", ErrBadRequest)
	case q.Source != leakguard.SourceGit:
		return fmt.Errorf("%w: source must be git", ErrBadRequest)
	case len(q.Repository) > maxBypassRepository || len(q.Ref) > maxBypassRef:
		return fmt.Errorf("%w: repository or ref too long", ErrBadRequest)
	case len(q.Pusher) > maxBypassPusher || len(q.Reason) > maxBypassReason:
		return fmt.Errorf("%w: pusher or reason too long", ErrBadRequest)
	case blank(q.Reason):
		return fmt.Errorf("%w: reason must not be blank", ErrBadRequest)
	case blank(q.Repository) || blank(q.Ref):
		return fmt.Errorf("%w: repository and ref are required", ErrBadRequest)
	}
	return nil
}

// blank reports whether s holds nothing once what a label may not hold is
// dropped and surrounding white space trimmed.
func blank(s string) bool { return strings.TrimSpace(store.CleanLabel(s)) == "" }
