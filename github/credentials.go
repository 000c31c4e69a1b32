package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/leakguard/leakguard/internal/endpoint"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/patterns"
)

// MaxRevokeCredentials is how many credentials one "Revoke a list of
// credentials" request may carry (GitHub's documented limit).
const MaxRevokeCredentials = 1000

// maxRevokeAnswer caps what is read of one revocation answer's body.
const maxRevokeAnswer = 64 << 10

// ErrTooManyCredentials is a batch over MaxRevokeCredentials; nothing was
// sent.
var ErrTooManyCredentials = errors.New("github: too many credentials for one revocation request")

// CredentialsRevoker reports leaked GitHub credentials to GitHub's "Revoke
// a list of credentials" REST API (POST {api}/credentials/revoke,
// https://docs.github.com/en/rest/credentials/revoke), which revokes them
// and tells their owners. It implements issuers.Sender.
//
// The call is unauthenticated on purpose (GitHub refuses an authenticated
// one with 403): the revoker sets no Authorization header (give it a client
// whose transport adds none: not one of Client's). Redirects are not followed (a 3xx is the answer), at most 64 KiB
// of an answer is read, and no token appears in an Answer or an error.
// It is safe for concurrent use.
type CredentialsRevoker struct {
	endpoint.API // set Now and UserAgent to change them
}

// NewCredentialsRevoker returns a CredentialsRevoker of the REST API at
// base ("": the GitHub issuer's Endpoint of patterns.Issuers, that is
// https://api.github.com/; GitHub Enterprise Server: https://HOST/api/v3/),
// as endpoint.NewAPI checks it (plain http to a non-loopback host only
// with allowHTTP). hc may be nil (a default client); the revoker uses a
// copy that follows no redirect.
func NewCredentialsRevoker(base string, hc *http.Client, allowHTTP bool) (*CredentialsRevoker, error) {
	api, err := endpoint.NewAPI("github: revocation API URL", base, patterns.DefaultEndpoint(patterns.ProtocolGitHubCredentialsRevoke), hc, allowHTTP, "credentials", "revoke")
	if err != nil {
		return nil, err
	}
	return &CredentialsRevoker{api}, nil
}

// URL returns the URL the revoker POSTs to.
func (r *CredentialsRevoker) URL() string { return r.API.URL.String() }

// revokeRequest is the body of POST /credentials/revoke.
type revokeRequest struct {
	Credentials []string `json:"credentials"`
}

// Send implements issuers.Sender: one request carrying every token (at
// most MaxRevokeCredentials, else ErrTooManyCredentials), one Answer per
// token, all the same. An error (a transport failure, ctx's end) means no
// answer was had.
func (r *CredentialsRevoker) Send(ctx context.Context, tokens []patterns.Secret) ([]issuers.Answer, error) {
	if len(tokens) == 0 {
		return nil, nil
	}
	if len(tokens) > MaxRevokeCredentials {
		return nil, fmt.Errorf("%w: %d, at most %d", ErrTooManyCredentials, len(tokens), MaxRevokeCredentials)
	}
	body := revokeRequest{Credentials: make([]string, len(tokens))}
	for i, t := range tokens {
		if t.IsZero() {
			return nil, fmt.Errorf("github: revoke credentials: credential %d is empty", i)
		}
		body.Credentials[i] = t.Reveal()
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("github: revoke credentials: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.API.URL.String(), bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("github: revoke credentials: %w", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("Content-Type", "application/json")
	resp, raw, err := r.Do(req, maxRevokeAnswer)
	if err != nil {
		return nil, fmt.Errorf("github: revoke credentials: %w", err)
	}
	var detail string
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &e) == nil {
			detail = e.Message
		}
	}
	a := issuers.Answer{
		Status:     resp.StatusCode,
		Text:       issuers.AnswerText(resp.StatusCode, detail, tokens),
		RetryAfter: githubRetryAfter(resp.Header, r.Now()),
	}
	out := make([]issuers.Answer, len(tokens))
	for i := range out {
		out[i] = a
	}
	return out, nil
}

// githubRetryAfter is Retry-After (seconds or an HTTP date) or, when the
// primary budget is spent (x-ratelimit-remaining: 0), x-ratelimit-reset;
// 0 when neither says.
func githubRetryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := endpoint.RetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if d, ok := endpoint.Epoch(h.Get("X-RateLimit-Reset"), now); ok {
			return d
		}
	}
	return 0
}

var _ issuers.Sender = (*CredentialsRevoker)(nil)
