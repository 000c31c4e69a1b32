// Package gitlab is what leakguard knows of GitLab:
//
//   - SelfRevoker (selfrevoke.go), the issuers.Sender of GitLab's
//     "Revoke a personal access token" route used on the leaked token
//     itself: DELETE {gitlab}/api/v4/personal_access_tokens/self, with the
//     token in the PRIVATE-TOKEN header of its own request;
//   - the wire format of GitLab's Token Revocation API (revocation.go),
//     which leakguard serves to a self-managed GitLab
//     (https://docs.gitlab.com/development/sec/token_revocation_api/):
//     RevocableTypes, LeakedToken, DecodeRevokeTokens, and the table of
//     GitLab's token type identifiers (types.go).
//
// The HTTP handlers that serve the Token Revocation API are not here (they
// belong with the other handlers, in package webhook). This package knows
// nothing of webhook, cmd, the store adapters, Redis or SQL.
//
// Invariants:
//   - A token travels only in the PRIVATE-TOKEN header of the one request
//     that revokes it, to the configured GitLab only: never in a URL or a
//     body, never after a redirect (a 3xx is an answer).
//   - A token is held as a patterns.Secret from the moment it is decoded;
//     no error, answer or log line holds one.
//   - Every body read is capped: 64 KiB of a GitLab answer, the caller's
//     limit of a revoke_tokens request (and MaxRevokeTokens items), which
//     is refused whole when over it, never parsed in part.
package gitlab
