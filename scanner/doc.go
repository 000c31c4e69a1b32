// Package scanner finds checksum-valid tokens of a patterns.Catalog in byte
// streams, files and directory trees.
//
// Matching is two-stage: an Aho-Corasick automaton over every prefix of the
// catalog says which prefixes occur in a chunk; then only those prefixes are
// located, their tails extracted under the boundary rule of CONTRACT §1 and
// their checksums verified. Only checksum-valid tokens become matches.
//
// Invariants: the plaintext of a token exists only inside a patterns.Secret;
// a Finding is hashed (SHA-256) where it is detected. The package knows
// nothing of HTTP, SQL or Redis.
package scanner
