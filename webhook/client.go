package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/internal/endpoint"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
)

// Client is a typed client of a leakguard server's scan routes (POST
// /v1/tokens/status, POST /v1/tokens/leaks and POST /v1/tokens/bypasses,
// docs/openapi.yaml): the remote revoker.Resolver and
// revoker.BypassRecorder, sharing its wire types with the handlers that
// serve it. It sends token hashes and locations only, never a token, with a
// bearer token (a service token suffices), and never follows a redirect.
type Client struct {
	base   *url.URL
	bearer patterns.Secret
	http   *http.Client
	cat    *patterns.Catalog
}

// maxClientAnswer bounds what the client reads of one answer.
const maxClientAnswer = 1 << 20

// NewClient returns a Client of the server at base (validated with
// CheckServerURL) that recognises findings of ours with cat. hc may be nil
// (a default client with endpoint.DefaultTimeout); the Client uses a copy
// that refuses redirects.
func NewClient(base string, bearer patterns.Secret, hc *http.Client, cat *patterns.Catalog) (*Client, error) {
	u, err := CheckServerURL(base, false)
	if err != nil {
		return nil, err
	}
	if bearer.IsZero() {
		return nil, errors.New("a bearer token is required")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, bearer: bearer, http: endpoint.NoRedirects(hc), cat: cat}, nil
}

// CheckServerURL parses a URL leakguard sends credentials or events to with
// the rule every outbound adapter shares (endpoint.Check): an absolute
// http(s) URL with a host and no user information; plain http only to a
// loopback host unless insecure is set. Errors never quote user information.
func CheckServerURL(raw string, insecure bool) (*url.URL, error) {
	return endpoint.Check(raw, insecure)
}

// Resolve implements revoker.Resolver: statuses in batches of
// MaxStatusHashes, leaks one request per distinct token of ours (the
// server revokes and waits for its readers before it answers, so there is
// nothing to settle here), stopping after revoker.MaxErrors failures.
func (c *Client) Resolve(ctx context.Context, reps []revoker.Report, revoke bool) ([]revoker.Outcome, error) {
	outs, ask := revoker.Plan(c.cat, reps)
	if revoke {
		c.reportLeaks(ctx, reps, outs, ask)
	} else {
		c.statuses(ctx, outs, ask)
	}
	return outs, revoker.JoinErrors(outs)
}

// statuses fills the outcomes at ask from POST /v1/tokens/status.
func (c *Client) statuses(ctx context.Context, outs []revoker.Outcome, ask []int) {
	failed := 0
	for start := 0; start < len(ask); start += MaxStatusHashes {
		idx := ask[start:min(start+MaxStatusHashes, len(ask))]
		if failed >= revoker.MaxErrors {
			revoker.MarkNotAttempted(outs, idx)
			continue
		}
		req := statusRequest{TokenHashes: make([]string, len(idx))}
		for j, i := range idx {
			req.TokenHashes[j] = string(outs[i].Hash)
		}
		var resp statusResponse
		if err := c.post(ctx, "/v1/tokens/status", req, &resp); err != nil {
			failed++
			for _, i := range idx {
				outs[i].Err = err
			}
			continue
		}
		got := make(map[string]leakguard.State, len(resp.Tokens))
		for _, t := range resp.Tokens {
			got[t.TokenHash] = t.Status
		}
		for _, i := range idx {
			outs[i].State = stateOf(string(got[string(outs[i].Hash)]))
			outs[i].Ours = outs[i].State != leakguard.StateUnknown
		}
	}
}

// reportLeaks fills the outcomes at ask from POST /v1/tokens/leaks, one
// request per distinct hash with its first report's location.
func (c *Client) reportLeaks(ctx context.Context, reps []revoker.Report, outs []revoker.Outcome, ask []int) {
	failed := 0
	for _, i := range ask {
		if failed >= revoker.MaxErrors {
			revoker.MarkNotAttempted(outs, []int{i})
			continue
		}
		rep := reps[outs[i].First]
		req := leakRequest{TokenHash: string(outs[i].Hash), Source: rep.Source, Path: rep.Path, Line: rep.Line, URL: rep.URL}
		if isHex(rep.Commit, 40, 64) {
			req.Commit = rep.Commit
		}
		var resp leakResponse
		if err := c.post(ctx, "/v1/tokens/leaks", req, &resp); err != nil {
			failed++
			outs[i].Err = fmt.Errorf("revoke %s: %w", outs[i].Hash.Short(), err)
			continue
		}
		outs[i].State = stateOf(string(resp.Status))
		outs[i].Ours = outs[i].State != leakguard.StateUnknown
		if resp.Action == leakguard.ActionRevoked {
			outs[i].Action = leakguard.ActionRevoked
		}
	}
}

// RecordBypass implements revoker.BypassRecorder through POST
// /v1/tokens/bypasses: the hash and the push's fields are sent, and the
// server builds the event's detail and records it with its caller as the
// actor (b.Actor is not sent: the server names who called it).
func (c *Client) RecordBypass(ctx context.Context, b revoker.Bypass) (revoker.BypassOutcome, error) {
	h := strings.ToLower(strings.TrimSpace(b.Hash))
	out := revoker.BypassOutcome{Hash: leakguard.Hash(h), State: leakguard.StateUnknown}
	if !leakguard.ValidHash(h) {
		return out, revoker.ErrNoToken
	}
	src := b.Source
	if src == "" {
		src = leakguard.SourceGit
	}
	req := bypassRequest{TokenHash: h, Source: src, Repository: b.Repository, Ref: b.Ref, Pusher: b.Pusher, Reason: b.Reason}
	var resp bypassResponse
	if err := c.post(ctx, "/v1/tokens/bypasses", req, &resp); err != nil {
		return out, err // "server: POST /v1/tokens/bypasses: <status>: <code>: <message>"
	}
	if resp.TokenHash != h {
		return out, errors.New("server: POST /v1/tokens/bypasses: the answer is for another hash")
	}
	out.State, out.Recorded = stateOf(string(resp.Status)), resp.Recorded
	return out, nil
}

// stateOf maps a server's status word to a state; anything else is unknown.
func stateOf(s string) leakguard.State {
	st, err := leakguard.ParseState(s)
	if err != nil {
		return leakguard.StateUnknown
	}
	return st
}

// post sends one JSON request and decodes a 200 answer into dst; other
// statuses become errors with the server's error code and message.
func (c *Client) post(ctx context.Context, path string, body, dst any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("server: encode %s: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("server: %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.bearer.Reveal())
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("server: %w", err) // *url.Error names the URL, never headers
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxClientAnswer))
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
	var e errorBody
	if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
		return status
	}
	return fmt.Sprintf("%s: %s: %s", status, e.Error.Code, e.Error.Message)
}

// Close releases idle connections.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}
