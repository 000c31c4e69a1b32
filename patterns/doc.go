// Package patterns describes API-token formats as data and validates them
// offline.
//
// A Format is declarative: prefixes (or, for keys without one, a signature
// at a fixed offset), a body alphabet and length range, and a checksum
// (algorithm, encoding, length, coverage, optional separator; CRC32,
// Bech32, Base58Check or Microsoft's Marvin32) or, for tokens without a
// public checksum, a structure (segment lengths and the separator between
// them) the body must have exactly, plus true- and false-positive samples.
// A Catalog is a compiled, immutable set of formats: leakguard's own family
// (lgu_, lgs_, lga_ or an issuer's configured prefixes) plus well-known
// vendors whose checksum schemes are public (GitHub, npm, GitLab routable
// tokens, Review Board, Grafana, Atlassian, Microsoft's identifiable Azure
// keys) or, for GitHub's fine-grained tokens, whose structure is fixed,
// each citing its source. NewCatalog checks every format against its samples, so
// a catalog that builds is one whose declarations accept what they should
// and reject their look-alikes.
//
// Configuration (Config) is TOML, read from the --config file and from
// .leakguard.toml at a scanned root: the prefix each token type is issued
// with, earlier prefixes still recognised, extra formats, and (from
// --config only) vendor formats to switch off. Configuration only ever adds
// prefixes to what is recognised as ours.
//
// Invariants:
//   - A plaintext token only ever travels as a Secret, whose String, Format,
//     MarshalJSON and MarshalText redact it; Secret.Reveal is the one explicit
//     accessor for the raw value. Errors about samples show them redacted.
//   - Generate draws the body from crypto/rand with rejection sampling, so
//     every alphabet character is equally likely (no modulo bias).
//   - Format.ValidTail, the scanner's hot path, does not allocate.
//
// The package knows nothing of I/O beyond reading configuration files.
package patterns
