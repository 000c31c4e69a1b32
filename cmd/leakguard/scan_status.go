package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/store"
)

// serverTokenEnv holds the bearer token of `scan --server`. It is read from
// the environment only (no flag: a flag value lands in shell history and in
// the process list).
const serverTokenEnv = "LEAKGUARD_TOKEN"

// tokenResolver tells a scan what became of the tokens it found: their
// status in the token store and, with --revoke, their revocation. It sees
// token hashes and finding locations only; implementations: localResolver
// (--db) and remoteResolver (--server).
type tokenResolver interface {
	// Statuses returns each hash's status: active, revoked, expired, or
	// unknown when the store does not know it. On error the map holds the
	// hashes that were answered.
	Statuses(ctx context.Context, hashes []string) (map[string]string, error)
	// Revoke reports f's token as leaked at f's location: an active token
	// of ours is revoked with reason "leaked: <source> <path>:<line>
	// [commit <sha>]". It returns the token's status afterwards and the
	// action: revoked when this call revoked it, none otherwise.
	Revoke(ctx context.Context, f scanner.Finding) (status, action string, err error)
	// Settle returns once the revocations Revoke made are visible to every
	// reader of the store (one commit wait for the whole scan, see
	// store.Settler); call it before reporting them.
	Settle(ctx context.Context) error
	// Close releases the store or connections.
	Close() error
}

// localResolver answers from a store opened here (--db, with --redis),
// revoking through the revoker like every other leak source.
type localResolver struct {
	st  store.Store
	rv  *revoker.Revoker
	now func() time.Time
	// actor is recorded as the revoking actor ("cli:<user>").
	actor string
}

// openLocalResolver opens the --db store. A sqlite: file must exist: a
// scan never creates a store (a typo would otherwise report every token
// unknown from an empty new database).
func openLocalResolver(ctx context.Context, o scanOptions, sio IO, cat *patterns.Catalog, log zerolog.Logger) (*localResolver, error) {
	if path, ok := strings.CutPrefix(o.db, "sqlite:"); ok {
		path = strings.TrimPrefix(path, "//")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--db: no token store at %s (scan does not create one): %w", path, errors.Unwrap(err))
		}
	}
	now := sio.Now
	if now == nil {
		now = time.Now
	}
	st, err := openCachedStore(ctx, o.db, o.redis, sio.Getenv, log, now)
	if err != nil {
		return nil, err
	}
	rv := revoker.New(st, cat, revoker.Options{Now: now, Logger: log})
	return &localResolver{st: st, rv: rv, now: now, actor: defaultActor(sio)}, nil
}

func (l *localResolver) Statuses(ctx context.Context, hashes []string) (map[string]string, error) {
	out := make(map[string]string, len(hashes))
	now := l.now()
	for _, h := range hashes {
		t, err := l.st.TokenByHash(ctx, h)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out[h] = scanner.StatusUnknown
		case err != nil:
			return out, fmt.Errorf("look up %s: %w", report12(h), err)
		default:
			out[h] = string(t.State(now))
		}
	}
	return out, nil
}

func (l *localResolver) Revoke(ctx context.Context, f scanner.Finding) (string, string, error) {
	rep := revoker.Report{Secret: f.Secret, Hash: f.TokenHash, Source: f.Source, URL: f.URL,
		Path: f.Path, Line: f.Line, Commit: f.Commit, Actor: l.actor}
	res, err := l.rv.RevokeDeferred(ctx, rep) // settled once, in Settle
	if err != nil {
		return scanner.StatusUnknown, scanner.ActionNone, err
	}
	status, action := scanner.StatusUnknown, scanner.ActionNone
	if res.Token != nil {
		status = string(res.Token.State(l.now()))
	}
	if res.Revoked {
		action = scanner.ActionRevoked
	}
	return status, action, nil
}

func (l *localResolver) Settle(ctx context.Context) error { return l.rv.Settle(ctx) }

func (l *localResolver) Close() error { return l.st.Close() }

// remoteResolver asks a leakguard server (--server) through its scan
// routes, POST /v1/tokens/status and POST /v1/tokens/leaks, with a bearer
// token (a service token suffices). Only hashes and locations are sent.
type remoteResolver struct {
	base   *url.URL
	bearer patterns.Secret
	client *http.Client
}

// statusBatch is how many hashes one status request carries (the server's
// webhook.MaxStatusHashes).
const statusBatch = 500

// newRemoteResolver checks --server and LEAKGUARD_TOKEN. Plain http is
// accepted for loopback hosts only: the bearer token must not cross a
// network in clear.
func newRemoteResolver(server string, getenv func(string) string, client *http.Client) (*remoteResolver, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, usageError("--server %q: want an http(s) URL such as https://leakguard.example.org", server)
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, usageError("--server %s: plain http only to a loopback address; use https (the bearer token must not travel in clear)", u.Redacted())
	}
	if u.User != nil {
		return nil, usageError("--server: no credentials in the URL; put the bearer token in %s", serverTokenEnv)
	}
	tok := ""
	if getenv != nil {
		tok = strings.TrimSpace(getenv(serverTokenEnv))
	}
	if tok == "" {
		return nil, usageError("--server needs a bearer token (a service token) in the environment variable %s", serverTokenEnv)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return nil, usageError("%s holds whitespace: it must be one token", serverTokenEnv)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &remoteResolver{base: u, bearer: patterns.NewSecret(tok), client: client}, nil
}

// loopbackHost reports whether host names this machine.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *remoteResolver) Statuses(ctx context.Context, hashes []string) (map[string]string, error) {
	out := make(map[string]string, len(hashes))
	for i := 0; i < len(hashes); i += statusBatch {
		chunk := hashes[i:min(i+statusBatch, len(hashes))]
		var resp struct {
			Tokens []struct {
				TokenHash string `json:"token_hash"`
				Status    string `json:"status"`
			} `json:"tokens"`
		}
		if err := s.post(ctx, "/v1/tokens/status", map[string]any{"token_hashes": chunk}, &resp); err != nil {
			return out, err
		}
		for _, t := range resp.Tokens {
			out[t.TokenHash] = t.Status
		}
	}
	return out, nil
}

func (s *remoteResolver) Revoke(ctx context.Context, f scanner.Finding) (string, string, error) {
	req := map[string]any{"token_hash": f.TokenHash, "source": f.Source, "path": f.Path, "line": f.Line}
	if isObjectID(f.Commit) {
		req["commit"] = f.Commit
	}
	if f.URL != "" {
		req["url"] = f.URL
	}
	var resp struct {
		Status string `json:"status"`
		Action string `json:"action"`
	}
	if err := s.post(ctx, "/v1/tokens/leaks", req, &resp); err != nil {
		return scanner.StatusUnknown, scanner.ActionNone, err
	}
	return resp.Status, resp.Action, nil
}

// Settle has nothing to do: the server's revocations wait for their readers
// before they answer.
func (s *remoteResolver) Settle(context.Context) error { return nil }

func (s *remoteResolver) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// maxResponse bounds what is read of a server response.
const maxResponse = 1 << 20

// post sends one JSON request and decodes a 200 answer into dst; other
// statuses become errors with the server's error code and message.
func (s *remoteResolver) post(ctx context.Context, path string, body, dst any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("server: encode %s: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base.String()+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("server: %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.bearer.Reveal())
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("server: %w", err) // *url.Error names the URL, never headers
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("server: POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server: POST %s: %s", path, apiErrorText(resp.Status, raw))
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("server: POST %s: bad answer: %w", path, err)
	}
	return nil
}

// apiErrorText renders an API error answer ({"error":{"code","message"}}).
func apiErrorText(status string, raw []byte) string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
		return status
	}
	return fmt.Sprintf("%s: %s: %s", status, e.Error.Code, e.Error.Message)
}

// isObjectID reports whether s is a full lower-case hex git object id.
func isObjectID(s string) bool {
	return (len(s) == 40 || len(s) == 64) && strings.Trim(s, "0123456789abcdef") == ""
}

// report12 is a hash prefix for messages.
func report12(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// maxResolveErrors is how many failed look-ups or revocations a scan
// reports before it stops asking (a store that is down fails them all).
const maxResolveErrors = 3

// openResolver opens what --db or --server names (nil when neither is
// given: then no store is touched and findings carry no status). A bad
// command line is returned as an error that stops the scan; a store or
// server that cannot be reached is reported (exit 2) and the scan goes on,
// its findings printed with status unknown.
func (r *scanRun) openResolver(ctx context.Context) (tokenResolver, error) {
	var (
		res tokenResolver
		err error
	)
	switch {
	case r.o.server != "":
		res, err = newRemoteResolver(r.o.server, r.sio.Getenv, r.client)
	case r.o.db != "":
		res, err = openLocalResolver(ctx, r.o, r.sio, r.sc.Catalog(), r.log)
	default:
		return nil, nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return nil, err
	}
	if err != nil {
		r.errorf("token store: %v", err)
		return nil, nil
	}
	return res, nil
}

// outcome is what the store said and the scan did about one token.
type outcome struct{ status, action string }

// settle fills the status of every finding and, with --revoke, its action,
// when --db or --server is given. Only findings of issued formats (ours)
// are looked up, each distinct token hash once; findings of vendor formats
// are "unknown" (their issuer's store is not ours) with action "none".
func (r *scanRun) settle(ctx context.Context, findings []scanner.Finding) {
	if r.o.db == "" && r.o.server == "" {
		return
	}
	var hashes []string
	first := map[string]int{} // hash → index of its first finding
	for i, f := range findings {
		if _, seen := first[f.TokenHash]; !seen && r.ours(f) {
			first[f.TokenHash] = i
			hashes = append(hashes, f.TokenHash)
		}
	}
	got := map[string]outcome{}
	if r.resolver != nil && len(hashes) > 0 {
		if r.o.revoke {
			got = r.revokeAll(ctx, findings, hashes, first)
		} else {
			got = r.lookUpAll(ctx, hashes)
		}
	}
	for i := range findings {
		f := &findings[i]
		o, ok := got[f.TokenHash]
		if !ok {
			o = outcome{scanner.StatusUnknown, scanner.ActionNone}
		}
		f.Status = o.status
		if r.o.revoke {
			f.Action = o.action
		}
	}
}

// ours reports whether f is a token of a format this installation issues.
func (r *scanRun) ours(f scanner.Finding) bool {
	if f.Issued {
		return true
	}
	fm, ok := r.sc.Catalog().ByID(f.Rule)
	return ok && fm.Issued
}

// lookUpAll asks the store for the statuses of hashes.
func (r *scanRun) lookUpAll(ctx context.Context, hashes []string) map[string]outcome {
	m, err := r.resolver.Statuses(ctx, hashes)
	if err != nil {
		r.errorf("token store: status look-up: %v", err)
	}
	got := make(map[string]outcome, len(m))
	for h, s := range m {
		got[h] = outcome{validStatus(s), scanner.ActionNone}
	}
	return got
}

// revokeAll reports every distinct token of ours as leaked at its first
// finding's location (the report's first place), at most once per hash.
func (r *scanRun) revokeAll(ctx context.Context, findings []scanner.Finding, hashes []string, first map[string]int) map[string]outcome {
	got := make(map[string]outcome, len(hashes))
	failed := 0
	for i, h := range hashes {
		if failed >= maxResolveErrors || ctx.Err() != nil {
			r.errorf("token store: %d tokens of ours were not revoked (status unknown)", len(hashes)-i)
			break
		}
		status, action, err := r.resolver.Revoke(ctx, findings[first[h]])
		if err != nil {
			failed++
			r.errorf("token store: revoke %s: %v", report12(h), err)
			continue
		}
		if action != scanner.ActionRevoked {
			action = scanner.ActionNone
		}
		if action == scanner.ActionRevoked {
			r.revoked++
		}
		got[h] = outcome{validStatus(status), action}
	}
	if err := r.resolver.Settle(ctx); err != nil {
		r.errorf("token store: %v", err)
	}
	return got
}

// validStatus maps anything but the contract's statuses to unknown.
func validStatus(s string) string {
	switch s {
	case scanner.StatusActive, scanner.StatusRevoked, scanner.StatusExpired:
		return s
	}
	return scanner.StatusUnknown
}
