// Package patterns describes API-token formats as data and validates them
// offline.
//
// A Format is declarative: prefixes, a body alphabet and length range, and a
// checksum (algorithm, encoding, length, coverage). A Catalog is a compiled,
// immutable set of formats: leakguard's own family (lgu_, lgs_, lga_ or an
// issuer's configured prefixes) plus well-known vendors whose checksum schemes
// are public (GitHub, npm, ...).
//
// Invariants:
//   - A plaintext token only ever travels as a Secret, whose String, Format,
//     MarshalJSON and MarshalText redact it; Secret.Reveal is the one explicit
//     accessor for the raw value.
//   - Generate draws the body from crypto/rand with rejection sampling, so
//     every alphabet character is equally likely (no modulo bias).
//
// The package knows nothing of I/O beyond reading configuration files.
package patterns
