package rediscache

import (
	"sync"

	"github.com/leakguard/leakguard/store"
)

// memoMax bounds the decode memo; when it is full it starts over.
const memoMax = 1024

// decodeMemo remembers what recent entry values decoded to, so that the
// hot path (the same few tokens verified over and over) does not parse the
// same JSON on every hit. A value fully determines its token, so this is a
// pure memo of decodeEntry and can never be stale: a revocation writes a
// different value, which is decoded afresh. It holds what Redis holds
// (hashes and metadata), never a secret. Values that fail to decode are
// not remembered.
type decodeMemo struct {
	mu sync.RWMutex
	m  map[string]memoEntry
}

type memoEntry struct {
	tok   *store.Token // nil for a negative entry; never handed out
	found bool
}

// decode is decodeEntry(value, hash) through the memo. Each call returns its
// own copy of the token (the time pointers are shared with the memo and
// must not be written through, which nothing does).
func (d *decodeMemo) decode(value, hash string) (*store.Token, bool, error) {
	d.mu.RLock()
	e, ok := d.m[value]
	d.mu.RUnlock()
	if !ok {
		t, found, err := decodeEntry([]byte(value), hash)
		if err != nil {
			return nil, false, err
		}
		e = memoEntry{tok: t, found: found}
		d.mu.Lock()
		if len(d.m) >= memoMax || d.m == nil {
			d.m = make(map[string]memoEntry, memoMax)
		}
		d.m[value] = e
		d.mu.Unlock()
	}
	if !e.found {
		return nil, false, nil
	}
	if e.tok.Hash != hash { // the same value stored under another key
		return decodeEntry([]byte(value), hash)
	}
	cp := *e.tok
	return &cp, true, nil
}
