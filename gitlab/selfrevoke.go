package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/leakguard/leakguard/internal/endpoint"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/patterns"
)

// maxAnswer caps what is read of one answer's body.
const maxAnswer = 64 << 10

// SelfRevoker revokes leaked GitLab personal access tokens with GitLab's
// "Revoke a personal access token" route on the token itself: DELETE
// {base}/api/v4/personal_access_tokens/self authenticated with that token
// (https://docs.gitlab.com/api/personal_access_tokens/). 204: revoked;
// 401: the token was already invalid; 429: throttled. It implements
// issuers.Sender.
//
// Each token goes in the PRIVATE-TOKEN header of its own request, one
// request at a time, and nowhere else. Redirects are not followed (a 3xx
// is the answer), at most 64 KiB of an answer is read, and no token
// appears in an Answer or an error. It is safe for concurrent use.
type SelfRevoker struct {
	endpoint.API // set Now and UserAgent to change them
}

// NewSelfRevoker returns a SelfRevoker of the GitLab instance at base ("":
// the GitLab issuer's Endpoint of patterns.Issuers, that is
// https://gitlab.com/; an instance under a sub-path: https://HOST/PATH/),
// as endpoint.NewAPI checks it (plain http to a non-loopback host only
// with allowHTTP). hc may be nil (a default client); the revoker uses a
// copy that follows no redirect.
func NewSelfRevoker(base string, hc *http.Client, allowHTTP bool) (*SelfRevoker, error) {
	api, err := endpoint.NewAPI("gitlab: instance URL", base, patterns.DefaultEndpoint(patterns.ProtocolGitLabSelfRevoke), hc, allowHTTP, "api", "v4", "personal_access_tokens", "self")
	if err != nil {
		return nil, err
	}
	return &SelfRevoker{api}, nil
}

// URL returns the URL the revoker sends DELETE to.
func (r *SelfRevoker) URL() string { return r.API.URL.String() }

// Send implements issuers.Sender: one request per token, in order, each
// answered on its own. Every token is checked before any is sent. An error
// (a transport failure, ctx's end) means no answers: tokens before the
// failing one may have been revoked already, and sending them again is
// harmless (GitLab answers 401, already invalid).
func (r *SelfRevoker) Send(ctx context.Context, tokens []patterns.Secret) ([]issuers.Answer, error) {
	for i, t := range tokens {
		if !headerSafe(t.Reveal()) {
			return nil, fmt.Errorf("gitlab: revoke token %d of %d: empty, or holds characters a header cannot carry", i+1, len(tokens))
		}
	}
	out := make([]issuers.Answer, 0, len(tokens))
	for i, t := range tokens {
		a, err := r.revoke(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("gitlab: revoke token %d of %d: %w", i+1, len(tokens), err)
		}
		out = append(out, a)
	}
	return out, nil
}

// headerSafe reports whether s is a non-empty run of visible ASCII, which
// a header carries as is.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return s != ""
}

// revoke sends one DELETE authenticated with tok.
func (r *SelfRevoker) revoke(ctx context.Context, tok patterns.Secret) (issuers.Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, r.API.URL.String(), nil)
	if err != nil {
		return issuers.Answer{}, err
	}
	req.Header.Set("PRIVATE-TOKEN", tok.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, raw, err := r.Do(req, maxAnswer)
	if err != nil {
		return issuers.Answer{}, err
	}
	detail := ""
	if resp.StatusCode >= 300 {
		detail = messageOf(raw)
	}
	return issuers.Answer{
		Status:     resp.StatusCode,
		Text:       issuers.AnswerText(resp.StatusCode, detail, []patterns.Secret{tok}),
		RetryAfter: retryAfter(resp, r.Now()),
	}, nil
}

// messageOf returns what a GitLab error body says: its "message" (a string,
// or the JSON of a field → errors object), else "error" and
// "error_description" (OAuth-style answers); "" when the body is not JSON
// (rack-attack's plain "Retry later").
func messageOf(raw []byte) string {
	var e struct {
		Message     json.RawMessage `json:"message"`
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return ""
	}
	if len(e.Message) > 0 && string(e.Message) != "null" {
		var s string
		if json.Unmarshal(e.Message, &s) == nil {
			return s
		}
		return string(e.Message)
	}
	if e.Description != "" {
		return e.Error + ": " + e.Description
	}
	return e.Error
}

// retryAfter is Retry-After (seconds or an HTTP date) or, on a 429 or a
// spent budget (RateLimit-Remaining: 0), RateLimit-Reset (Unix seconds) or
// RateLimit-ResetTime (an HTTP date); 0 when none says.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	h := resp.Header
	if d, ok := endpoint.RetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	if resp.StatusCode != http.StatusTooManyRequests && h.Get("RateLimit-Remaining") != "0" {
		return 0
	}
	if d, ok := endpoint.Epoch(h.Get("RateLimit-Reset"), now); ok {
		return d
	}
	if d, ok := endpoint.RetryAfter(h.Get("RateLimit-ResetTime"), now); ok {
		return d
	}
	return 0
}

var _ issuers.Sender = (*SelfRevoker)(nil)
