// Package webhook is leakguard's HTTP adapter: the token API
// (docs/http-api.md, docs/openapi.yaml), the GitHub secret-scanning partner
// endpoint (docs/http-api.md#github-secret-scanning-partner-endpoint),
// health and metrics, the Standard Webhooks sender of outbound events
// (docs/events.md#notifications), and Client, the typed client of its
// scan routes.
//
// Server (server.go) wires the routes behind one middleware that logs each
// request by route pattern (never the raw path, query or headers, so neither
// a token nor an Authorization header reaches a log), records Prometheus
// metrics on a private registry and recovers panics. Every error response is
// {"error":{"code","message"}} with its status from one table (errorTable).
// Bodies are capped (token API 64 KiB, partner batches 5 MiB and 1000
// items) and the http.Server has read-header, read, write and idle timeouts.
//
// The token API (api.go) authenticates "Authorization: Bearer <token>" with
// our own admin and service tokens through the same lifecycle.Manager.Verify
// as any token; service tokens may only verify and use the three scan
// routes (api_leaks.go, api_bypass.go): POST /v1/tokens/status (statuses of
// up to 500 token hashes), POST /v1/tokens/leaks (a leak report by hash,
// revoked through the revoker with a reason built from its location
// fields) and POST /v1/tokens/bypasses (a pre-receive bypass by hash,
// recorded as a leak_reported event with a detail built from its fields;
// never a revocation or a notification), which let `leakguard scan
// --server` and `leakguard hook pre-receive --server` work without a
// plaintext token ever leaving the scanning machine. Bad input (malformed JSON,
// unknown fields, wrong types, trailing data, oversize bodies, wrong token
// format, missing reason) is a 4xx before anything is written.
//
// Partner endpoints (partner.go) check the ECDSA P-256/SHA-256 signature
// over the raw body bytes before anything in the body is looked at; a bad,
// missing or unknown-key signature is 401 with no store call, and keys that
// cannot be fetched fail closed (503). The protocol — payload, signature,
// feedback, and the key list (github.KeySource: cached by identifier,
// refetched on an unknown identifier at most once a minute with one fetch
// in flight) — is package github's; this package holds the HTTP side:
// routes, the order in which a request is taken, body caps, the in-flight
// byte budget and metrics. A sender (name, path, header names, keys URL)
// is configuration; GitHub's is the default. Each distinct token of a
// batch goes through the revoker; the answer is 200 only once every
// revocation is durable, with one feedback entry per distinct token
// (token_hash only, never the token).
package webhook
