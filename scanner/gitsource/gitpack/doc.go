// Package gitpack reads git's pack files directly: the index (.idx,
// version 2, SHA-1 or SHA-256 names), each object's header in the pack
// (.pack, version 2 or 3), its zlib-compressed data, and delta
// instructions (docs/git-history.md#pack-walk). It lets a history scan
// rebuild every blob from its delta base exactly once and learn which
// bytes a delta copied from its base and which it inserted, instead of
// asking `git cat-file` for every blob whole.
//
// Invariants: a pack is untrusted input (the repository being scanned may
// be an attacker's). Every offset, length and size read from it is
// checked before use, an inflated object never grows beyond the size its
// header declares, and a malformed pack is an error, never a panic (the
// parsers are fuzzed). Nothing here runs git or any other program.
package gitpack
