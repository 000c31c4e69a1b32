// Package github is what leakguard knows of GitHub, built on
// github.com/google/go-github/v60 (imported as gh):
//
//   - the REST client (client.go, transport.go): repository enumeration
//     for organisation scans (repos.go) and secret-scanning alerts
//     (alerts.go), with SyncAlerts putting alerts through the leak step
//     (sync.go);
//   - the secret-scanning partner protocol (partner.go, keys.go): the
//     batch GitHub POSTs, its ECDSA P-256/SHA-256 signature, the header
//     names, the feedback answer, and KeySource, the cached list of
//     GitHub's signing keys.
//   - git over HTTPS and web links (git.go): GitAuth, the token as the
//     Basic credentials of user x-access-token for the client's git hosts
//     only, and BlobURL, a finding's link to its line; package
//     scanner/orgscan takes both without knowing GitHub.
//
// The partner endpoint itself — routes, body limits, the in-flight byte
// budget, metrics — is HTTP and lives in package webhook, which calls into
// this one. This package knows nothing of webhook, cmd, the store adapters,
// Redis or SQL.
//
// Invariants:
//   - The GitHub token travels only in an Authorization header: set by a
//     RoundTripper, to the API host only, or given to git (GitAuth), to
//     the git hosts only; it is never part of a URL, a log line or an
//     error. It is held as a patterns.Secret.
//   - Rate limits are waited out, never turned into failures: the
//     RateLimitTransport honours x-ratelimit-remaining/reset, Retry-After,
//     secondary-limit 403s and 429s, with an injectable clock and sleeper.
//   - A secret-scanning alert's plaintext secret is wrapped in a
//     patterns.Secret the moment the page is decoded and the go-github field
//     cleared; it is hashed for every later use and never logged or stored.
//     A partner batch's tokens are wrapped the same way as it is parsed.
//   - Every response body read from GitHub is capped (BodyLimitTransport):
//     an API page at Options.MaxResponseBytes, a key list at
//     MaxKeyListBytes. A body over its cap is an error, never parsed in
//     part.
//   - Key errors fail closed: an identifier absent from a fetched list is
//     ErrUnknownKey, and while the list cannot be fetched every uncached
//     identifier is ErrKeysUnavailable (retryable), never ErrUnknownKey.
package github
