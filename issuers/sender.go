// Package issuers reports leaked tokens of other issuers (GitHub, GitLab)
// to the issuer's own revocation service, once per token, forever
// (docs/issuers.md). The issuer table is data (patterns.Issuers); the wire
// protocols are adapters named after their technology (package github's
// CredentialsRevoker, package gitlab's SelfRevoker), behind Sender.
//
// Invariants:
//   - A token goes only to the issuer of its format, identified by prefix
//     and checksum or structure (never by a type field of a payload), at
//     that issuer's configured endpoint.
//   - The store keeps the token's hash, the issuer, times and the issuer's
//     answers; never the token. A report whose process died before it was
//     answered stays pending and is sent by the next process that finds the
//     token again.
//   - A hash that reached a final state (accepted, already invalid,
//     rejected) is never sent again.
package issuers

import (
	"context"
	"time"

	"github.com/leakguard/leakguard/patterns"
)

// Answer is an issuer's answer to one token of a request.
type Answer struct {
	// Status is the HTTP status of the response that answered the token.
	Status int
	// Text says it in a few words for reports ("202 Accepted", a
	// throttling message from the body, escaped and cut); never a token.
	Text string
	// RetryAfter is when to try again, from Retry-After or the rate-limit
	// reset header; 0 when the answer gives none.
	RetryAfter time.Duration
}

// Sender speaks one issuer's revocation protocol. Implementations never
// follow redirects, never log or return a token, and bound what they read.
type Sender interface {
	// Send sends tokens (at most the issuer's Batch) and returns one
	// Answer per token, in order. An error means no answer was had (a
	// transport failure, a context end); the tokens may be sent again.
	Send(ctx context.Context, tokens []patterns.Secret) ([]Answer, error)
}
