package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
	url *url.URL
	hc  *http.Client
	now func() time.Time
	ua  string
}

// CredentialsOption configures a CredentialsRevoker.
type CredentialsOption func(*CredentialsRevoker)

// CredentialsNow sets the clock that x-ratelimit-reset is read against
// (nil: time.Now).
func CredentialsNow(now func() time.Time) CredentialsOption {
	return func(r *CredentialsRevoker) {
		if now != nil {
			r.now = now
		}
	}
}

// CredentialsUserAgent sets the User-Agent ("": "leakguard").
func CredentialsUserAgent(ua string) CredentialsOption {
	return func(r *CredentialsRevoker) {
		if ua != "" {
			r.ua = ua
		}
	}
}

// NewCredentialsRevoker returns a CredentialsRevoker of the REST API at
// base ("": the GitHub issuer's Endpoint of patterns.Issuers, that is
// https://api.github.com/; GitHub Enterprise Server: https://HOST/api/v3/),
// checked with endpoint.Check (plain http to a non-loopback host only with
// allowHTTP; no credentials, query or fragment in it). hc may be nil (a
// default client); the revoker uses a copy that follows no redirect.
func NewCredentialsRevoker(base string, hc *http.Client, allowHTTP bool, opts ...CredentialsOption) (*CredentialsRevoker, error) {
	if base == "" {
		base = defaultRevokeBase()
	}
	u, err := endpoint.Check(base, allowHTTP)
	if err != nil {
		return nil, fmt.Errorf("github: revocation API URL: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, errors.New("github: revocation API URL: no query or fragment in it")
	}
	r := &CredentialsRevoker{
		url: u.JoinPath("credentials", "revoke"),
		hc:  endpoint.NoRedirects(hc),
		now: time.Now,
		ua:  "leakguard",
	}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// defaultRevokeBase is the GitHub issuer's endpoint in the issuer table.
func defaultRevokeBase() string {
	for _, is := range patterns.Issuers() {
		if is.Protocol == patterns.ProtocolGitHubCredentialsRevoke {
			return is.Endpoint
		}
	}
	return DefaultAPIURL
}

// URL returns the URL the revoker POSTs to.
func (r *CredentialsRevoker) URL() string { return r.url.String() }

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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url.String(), bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("github: revoke credentials: %w", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", r.ua)
	resp, err := r.hc.Do(req)
	if err != nil {
		// *url.Error names the method and URL (which holds no user
		// information: NewCredentialsRevoker refused it), never the body.
		return nil, fmt.Errorf("github: revoke credentials: %w", err)
	}
	a := r.answer(resp, tokens)
	out := make([]issuers.Answer, len(tokens))
	for i := range out {
		out[i] = a
	}
	return out, nil
}

// answer reads at most maxRevokeAnswer bytes of resp and closes it. A body
// cut short or unreadable loses its message only: the status is the answer.
func (r *CredentialsRevoker) answer(resp *http.Response, sent []patterns.Secret) issuers.Answer {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxRevokeAnswer))
	resp.Body.Close()
	var detail string
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &e) == nil {
			detail = e.Message
		}
	}
	return issuers.Answer{
		Status:     resp.StatusCode,
		Text:       issuers.AnswerText(resp.StatusCode, detail, sent),
		RetryAfter: githubRetryAfter(resp.Header, r.now()),
	}
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
