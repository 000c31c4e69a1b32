package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// Pagination of GET /v1/tokens.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// apiSource is the audit source of changes made through the API.
const apiSource = "api"

// apiRoutes registers the token API of docs/http-api.md.
func (s *Server) apiRoutes(mux *http.ServeMux) {
	mux.Handle("POST /v1/tokens", s.authed(false, s.createToken))
	mux.Handle("POST /v1/tokens/verify", http.HandlerFunc(s.verifyRoute))
	mux.Handle("POST /v1/tokens/revoke", s.authed(false, s.revokeToken))
	mux.Handle("POST /v1/tokens/{id}/rotate", s.authed(false, s.rotateToken))
	mux.Handle("GET /v1/tokens", s.authed(false, s.listTokens))
	mux.Handle("GET /v1/tokens/{id}", s.authed(false, s.getToken))
	mux.Handle("GET /v1/tokens/{id}/events", s.authed(false, s.tokenEvents))
	s.scanRoutes(mux)
}

// authedFunc is a handler that knows its authenticated caller.
type authedFunc func(w http.ResponseWriter, r *http.Request, caller *store.Token) error

// authed wraps h with bearer authentication: the token must be a valid
// admin token, or a service token when allowService. Errors from h are
// written through the error table.
func (s *Server) authed(allowService bool, h authedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, err := s.authenticate(r.Context(), r.Header.Get("Authorization"))
		if err == nil {
			err = authorize(caller, allowService)
		}
		if err == nil {
			err = inputError(h(w, r, caller))
		}
		if err != nil {
			s.fail(w, r, err)
		}
	})
}

// inputError reports text the Manager or the store refused (a
// *store.TextError: NUL, invalid UTF-8, a control or bidi character, an
// oversize value) as what it is at the HTTP edge, the caller's bad
// request, the same on every store. Its message names the field, never
// the value.
func inputError(err error) error {
	var te *store.TextError
	if errors.As(err, &te) {
		return fmt.Errorf("%w: %s", ErrBadRequest, te.Message())
	}
	return err
}

// authenticate verifies "Bearer <token>" through the Manager, like any
// other token. The header's value never reaches a log or an error.
func (s *Server) authenticate(ctx context.Context, header string) (*store.Token, error) {
	bearer, err := bearerSecret(header)
	if err != nil {
		return nil, err
	}
	v, err := s.cfg.Manager.Verify(ctx, bearer)
	return callerFrom(v, err)
}

// bearerSecret extracts the token of an "Authorization: Bearer <token>"
// header, or ErrUnauthorized when there is none.
func bearerSecret(header string) (patterns.Secret, error) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return patterns.Secret{}, fmt.Errorf("%w: missing bearer token", ErrUnauthorized)
	}
	return patterns.NewSecret(strings.TrimSpace(tok)), nil
}

// callerFrom turns the bearer token's verification into the caller, or
// ErrUnauthorized when it is malformed, unknown or invalid.
func callerFrom(v lifecycle.Verification, err error) (*store.Token, error) {
	if errors.Is(err, lifecycle.ErrMalformed) {
		return nil, fmt.Errorf("%w: bearer token is malformed", ErrUnauthorized)
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !v.Valid {
		return nil, fmt.Errorf("%w: bearer token is not valid: %s", ErrUnauthorized, v.Message)
	}
	return v.Token, nil
}

// authorize checks the caller's token type for a route.
func authorize(caller *store.Token, allowService bool) error {
	switch {
	case caller.Type == patterns.TypeAdmin:
		return nil
	case caller.Type == patterns.TypeService && allowService:
		return nil
	}
	return fmt.Errorf("%w: a %s token may not use this route", ErrForbidden, caller.Type)
}

// actor names the caller in audit events.
func actor(caller *store.Token) string { return "token:" + caller.ID }

type createRequest struct {
	Owner     string   `json:"owner"`
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	ExpiresIn string   `json:"expires_in"`
	Scopes    []string `json:"scopes"`
}

// CreateAnswer is the JSON answer of an issue (POST /v1/tokens) and of a
// rotation (POST /v1/tokens/{id}/rotate, `token rotate --format json`),
// which adds the rotation's fields. Token is the plaintext, shown once.
type CreateAnswer struct {
	ID        string     `json:"id"`
	Token     string     `json:"token"`
	TokenHash string     `json:"token_hash"`
	Last4     string     `json:"last4"`
	ExpiresAt *time.Time `json:"expires_at"`
	Scopes    []string   `json:"scopes"`
	// Replaces is the rotated token's id; RotateBy when it stops being
	// valid (now when it was retired at once). Rotation only.
	Replaces string     `json:"replaces,omitempty"`
	RotateBy *time.Time `json:"rotate_by,omitempty"`
}

// NewCreateAnswer is the answer for the token iss just issued.
func NewCreateAnswer(iss lifecycle.Issued) CreateAnswer {
	t := iss.Token
	return CreateAnswer{ID: t.ID, Token: iss.Secret.Reveal(), TokenHash: t.Hash, Last4: t.Last4,
		ExpiresAt: utcPtr(t.ExpiresAt), Scopes: lifecycle.ScopesOf(t)}
}

// NewRotateAnswer is the answer for rotation r.
func NewRotateAnswer(r lifecycle.Rotated) CreateAnswer {
	a := NewCreateAnswer(r.Issued)
	a.Replaces, a.RotateBy = r.Old.ID, utcPtr(r.Old.ExpiresAt)
	if !r.Old.Valid {
		a.RotateBy = utcPtr(r.Old.InvalidAt)
	}
	return a
}

// createToken is POST /v1/tokens: the plaintext is in this response only.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, caller *store.Token) error {
	var req createRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	iss, err := s.cfg.Manager.Issue(r.Context(), lifecycle.IssueRequest{
		Owner: req.Owner, Name: req.Name, Type: req.Type, ExpiresIn: req.ExpiresIn, Scopes: req.Scopes,
		Actor: actor(caller), Source: apiSource,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, NewCreateAnswer(iss))
	return nil
}

type rotateRequest struct {
	Grace string `json:"grace"`
}

// rotateToken is POST /v1/tokens/{id}/rotate: the successor's plaintext
// is in this response only. The body is optional.
func (s *Server) rotateToken(w http.ResponseWriter, r *http.Request, caller *store.Token) error {
	var req rotateRequest
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			return err
		}
	}
	rot, err := s.cfg.Manager.Rotate(r.Context(), lifecycle.RotateRequest{
		ID: r.PathValue("id"), Grace: req.Grace, Actor: actor(caller), Source: apiSource,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, NewRotateAnswer(rot))
	return nil
}

type verifyRequest struct {
	Token string `json:"token"`
}

// VerifyAnswer is the JSON answer of a verification, on the API
// (POST /v1/tokens/verify) and in `token verify --format json`. Scopes
// is always an array: the token's scopes when the store knows it (valid,
// revoked or expired), [] when it has none or is unknown or malformed.
type VerifyAnswer struct {
	Valid         bool       `json:"valid"`
	ID            string     `json:"id,omitempty"`
	Owner         string     `json:"owner,omitempty"`
	Type          string     `json:"type,omitempty"`
	Scopes        []string   `json:"scopes"`
	ExpiresAt     *time.Time `json:"expires_at"`
	InvalidAt     *time.Time `json:"invalid_at"`
	InvalidReason string     `json:"invalid_reason,omitempty"`
	Message       string     `json:"message,omitempty"`
	// RotateBy is set while a rotated token is in its grace period: when
	// it stops being valid (its expiry). Move to the successor before.
	RotateBy *time.Time `json:"rotate_by,omitempty"`
}

// verifyRoute is POST /v1/tokens/verify. A value that is not a token of an
// issued format is a 400 (malformed_token); unknown, expired and revoked
// tokens are 200 with valid=false and the message.
func (s *Server) verifyRoute(w http.ResponseWriter, r *http.Request) {
	if err := s.verifyToken(w, r); err != nil {
		s.fail(w, r, err)
	}
}

// verifyToken looks up the caller's bearer token and the token to verify
// together (with the Redis cache: one round trip for both), then answers
// exactly as authed(true, ...) would: a missing or bad bearer token is 401
// and a user token 403 whatever the body holds, then body errors, then the
// target's result. The target is looked up only when the bearer token
// passes the checksum, and gets Verify's side effects (last_used_at,
// verified_invalid) only once the caller is authorized, so an
// unauthenticated request learns and changes nothing about it.
func (s *Server) verifyToken(w http.ResponseWriter, r *http.Request) error {
	bearer, err := bearerSecret(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	req, decodeErr := s.decodeVerify(w, r)
	var both [2]patterns.Secret
	secrets := append(both[:0], bearer)
	if _, ok := s.cfg.Manager.IssuedFormat(bearer); ok && decodeErr == nil {
		secrets = append(secrets, patterns.NewSecret(req.Token))
	}
	mgr := s.cfg.Manager
	vs, errs := mgr.LookupMany(r.Context(), secrets...)
	if errs[0] == nil {
		mgr.Observe(vs[0])
	}
	caller, err := callerFrom(vs[0], errs[0])
	if err != nil {
		return err
	}
	if err := authorize(caller, true); err != nil {
		return err
	}
	if decodeErr != nil {
		return decodeErr
	}
	if errs[1] != nil {
		return errs[1]
	}
	mgr.Observe(vs[1])
	resp := NewVerifyAnswer(vs[1], s.cfg.Manager.Now())
	writeVerify(w, &resp)
	return nil
}

// NewVerifyAnswer is the answer of a verification made at now.
func NewVerifyAnswer(v lifecycle.Verification, now time.Time) VerifyAnswer {
	resp := VerifyAnswer{Valid: v.Valid, Message: v.Message, Scopes: lifecycle.ScopesOf(v.Token)}
	if t := v.Token; t != nil {
		rec := lifecycle.NewRecord(t, now)
		resp.ID, resp.Owner, resp.Type = t.ID, t.Owner, t.Type
		resp.ExpiresAt, resp.InvalidAt, resp.InvalidReason = rec.ExpiresAt, rec.InvalidAt, rec.InvalidReason
		if v.Valid && t.ReplacedBy != "" {
			resp.RotateBy = rec.ExpiresAt
		}
	}
	return resp
}

type revokeRequest struct {
	Token     string `json:"token"`
	TokenHash string `json:"token_hash"`
	ID        string `json:"id"`
	Reason    string `json:"reason"`
}

// RevokeAnswer is the JSON answer of a revocation, on the API (POST
// /v1/tokens/revoke) and in `token revoke --format json`.
type RevokeAnswer struct {
	ID             string `json:"id"`
	Revoked        bool   `json:"revoked"`
	AlreadyRevoked bool   `json:"already_revoked"`
}

// revokeToken is POST /v1/tokens/revoke.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, caller *store.Token) error {
	var req revokeRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return fmt.Errorf("%w: reason is required", ErrBadRequest)
	}
	t, already, err := s.cfg.Manager.Revoke(r.Context(), lifecycle.RevokeRequest{
		Secret: patterns.NewSecret(req.Token), Hash: req.TokenHash, ID: req.ID,
		Reason: req.Reason, Actor: actor(caller), Source: apiSource, Kind: store.EventRevoked,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RevokeAnswer{ID: t.ID, Revoked: true, AlreadyRevoked: already})
	return nil
}

type listResponse struct {
	Tokens     []lifecycle.Record `json:"tokens"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// listTokens is GET /v1/tokens?owner=&scope=&state=&limit=&cursor=, ordered by id;
// next_cursor is set when there are more.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, _ *store.Token) error {
	f, err := listFilter(r.URL.Query())
	if err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	f.Now = s.cfg.Manager.Now()
	ts, err := s.cfg.Manager.List(r.Context(), f)
	if err != nil {
		return err
	}
	resp := listResponse{Tokens: make([]lifecycle.Record, 0, min(len(ts), limit))}
	if len(ts) > limit {
		ts = ts[:limit]
		resp.NextCursor = ts[limit-1].ID
	}
	for _, t := range ts {
		resp.Tokens = append(resp.Tokens, lifecycle.NewRecord(t, f.Now))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// listFilter reads the list query; unknown or repeated parameters are errors.
func listFilter(q url.Values) (store.ListFilter, error) {
	f := store.ListFilter{Limit: DefaultPageSize}
	for k, vs := range q {
		if len(vs) != 1 {
			return f, fmt.Errorf("%w: parameter %q given %d times", ErrBadRequest, k, len(vs))
		}
		v := vs[0]
		switch k {
		case "owner":
			f.Owner = v
		case "scope":
			f.Scope = v
		case "state":
			f.State = leakguard.State(v)
		case "cursor":
			f.After = v
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxPageSize {
				return f, fmt.Errorf("%w: limit must be 1..%d", ErrBadRequest, MaxPageSize)
			}
			f.Limit = n
		default:
			return f, fmt.Errorf("%w: unknown parameter %q", ErrBadRequest, k)
		}
	}
	return f, nil
}

// getToken is GET /v1/tokens/{id}.
func (s *Server) getToken(w http.ResponseWriter, r *http.Request, _ *store.Token) error {
	t, err := s.cfg.Manager.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lifecycle.NewRecord(t, s.cfg.Manager.Now()))
	return nil
}

// tokenEvents is GET /v1/tokens/{id}/events.
func (s *Server) tokenEvents(w http.ResponseWriter, r *http.Request, _ *store.Token) error {
	evs, err := s.cfg.Manager.Events(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []store.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
