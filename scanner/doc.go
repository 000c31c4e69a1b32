// Package scanner finds valid tokens of a patterns.Catalog (checksum-valid,
// or structure-valid for formats without a checksum) in byte streams, files
// and directory trees.
//
// Matching is two-stage. First, candidate places: each literal (a prefix,
// or the signature of a prefix-less format such as Microsoft's "+ASt") has
// an anchor pair (two adjacent bytes of it, shared between literals where
// possible: "rv" for all ten BIP-32 prefixes, "+A" for six Microsoft
// signatures), and one AVX2 pass per chunk finds every anchor pair
// (pairs_amd64.s); without AVX2 literals are anchored on bytes chosen by
// set cover instead, found with bytes.IndexByte. Tables of the
// neighbouring bytes reject most candidates; the Aho-Corasick automaton of
// every literal (cloudflare/ahocorasick) then says which occur around each
// survivor, or, when candidates are dense, which occur in the whole chunk,
// and bytes.Index locates those. Then the token: the maximal run of the
// format's alphabet after the prefix (for a signature: the run around it,
// which must start the format's offset before it) must have a valid length
// and checksum, or the format's exact structure (docs/token-format.md#boundaries,
// #signature-anchors). Only tokens that pass become matches, at the
// token's first byte.
// Reference is the slow, literal definition the fast path is fuzzed
// against, in every mode.
//
// Scan streams any io.Reader in bounded chunks with an overlap, so memory
// does not grow with the input or its line length; ScanPaths walks trees in
// parallel and reports findings in (path, line, column) order, opening
// archives on request (WalkOptions.Archives, package scanner/archive).
//
// Invariants: the plaintext of a token exists only inside a patterns.Secret;
// a Finding is hashed (SHA-256) where it is detected. The package knows
// nothing of HTTP, SQL or Redis.
package scanner
