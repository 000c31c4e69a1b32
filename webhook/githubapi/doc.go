// Package githubapi is leakguard's GitHub REST client: repository
// enumeration for organisation scans and secret-scanning alert sync, built on
// github.com/google/go-github/v60.
//
// Invariants:
//   - The GitHub token travels only in an Authorization header set by a
//     RoundTripper, and only to the API host; it is never part of a URL, a
//     log line or an error. It is held as a patterns.Secret.
//   - Rate limits are waited out, never turned into failures: the
//     RateLimitTransport honours x-ratelimit-remaining/reset, Retry-After,
//     secondary-limit 403s and 429s, with an injectable clock and sleeper.
//   - A secret-scanning alert's plaintext secret is wrapped in a
//     patterns.Secret the moment the page is decoded and the go-github field
//     cleared; it is hashed for every later use and never logged or stored.
package githubapi
