package rediscache

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakguard/leakguard/store"
)

// nearShards is the number of independently locked parts of the near
// cache (a power of two).
const nearShards = 64

// nearCache keeps valid tokens in process (Options.LocalTTL at most, and
// at most Options.LocalSize of them, least recently used first out), so
// that verifying them costs no Redis round trip, while keeping the
// cache's rule that no lookup which starts after Revoke has returned, in
// any process, sees the token valid. Entries live long and are dropped by
// push: every revocation tells every process over the invalidation
// channel (channel.go), and waits for the processes that may hold the
// token to acknowledge. The rules:
//
//   - The near cache answers only while it is trusted: while this process
//     has had, within Options.ChannelLease, both a pong on its
//     subscription (from a ping sent less than a lease ago, on a
//     subscription already confirmed: every message published before that
//     ping was processed has been handled) and a renewal of its membership
//     (the set of processes a revocation waits for; a renewal keeps it
//     there for memberSpan leases, longer than it makes this process trust
//     itself). When either lapses — Redis paused, down, or unreachable from
//     here — lookups go to Redis or the database as if there were no near
//     cache; entries are kept, since a subscription that was never broken
//     loses no message.
//   - When the channel may have lost messages — the subscription broke, or
//     was (re)established, or the membership was found lapsed — every
//     entry is dropped (reset) and trust begins anew from pings and
//     refreshes sent after the reset: the near cache is re-synced by
//     starting empty.
//   - A revocation, once the revoked state is in Redis, publishes an
//     invalidation in the same Lua script that overwrites the entry and
//     reads the live members; each member drops the entry, then
//     acknowledges. Revoke returns when every live member has acknowledged,
//     or one ChannelLease after the script answered, whichever is first
//     (a member that does not answer has stopped trusting its near cache
//     by then), and never before the membership set has existed for a
//     lease (so a Redis restarted empty, which forgot the members, is
//     waited out). When the script fails, Revoke waits the lease.
//   - A read that started before an invalidation or reset never fills the
//     near cache (a sequence number, taken before the read is sent, must be
//     unchanged when the entry is put), so a lookup racing a revocation
//     cannot put back what the invalidation removed.
//   - Only found, valid tokens are kept. Unknown, revoked and expired
//     answers always come from Redis or the database, so creating a token
//     never has to wait for anything. Expiry needs no invalidation: the
//     verdict is computed from ExpiresAt at lookup.
//   - Every state change this process commits drops its own entry at once.
//     last_used_at writes are not pushed (they change nothing a
//     verification reads): another process's entry may show an older
//     LastUsedAt (see the package documentation).
//
// Times are monotonic nanoseconds since the cache was created (durations
// are compared across processes in real time, never wall clocks).
// Entries hold hashes and metadata only, like Redis itself.
type nearCache struct {
	maxAge time.Duration // <= 0: off
	lease  time.Duration // Options.ChannelLease
	size   int64         // Options.LocalSize
	base   time.Time     // origin of now()

	count       atomic.Int64  // entries held, all shards
	seq         atomic.Uint64 // bumped by every invalidation and reset
	pongUntil   atomic.Int64  // trusted before this (subscription)
	memberUntil atomic.Int64  // and before this (membership)

	tmu     sync.Mutex // orders resets and the extensions of trust
	resetAt int64      // guarded by tmu

	shards [nearShards]nearShard
}

// nearShard is one locked part of the near cache: a map and an LRU ring.
type nearShard struct {
	mu   sync.Mutex
	m    map[nearKey]*nearEntry
	ring nearEntry // sentinel: ring.next is the most recently used
}

// nearEntry is one token held, compact for the garbage collector (a
// cache of 100,000 tokens is marked on every cycle): the token is inline,
// its strings are slices of one string (blob) and its times point into
// the entry, so an entry is two objects instead of a dozen. Entries are
// never written after they are linked: get hands out copies of tok that
// share those pointers, and a change makes a new entry.
type nearEntry struct {
	key        nearKey
	tok        store.Token
	times      [3]time.Time // tok's ExpiresAt, LastUsedAt, InvalidAt point here
	exp        int64        // end of the entry's life (now() clock)
	prev, next *nearEntry
}

// nearKey is a map key of the near cache: the hash's bytes (a key
// without pointers, which the garbage collector does not scan).
type nearKey [32]byte

// keyOf is hash's key; hash is 64 lower-case hex characters.
func keyOf(hash string) nearKey {
	var k nearKey
	for i := range k {
		k[i] = byte(unhex(hash[2*i])<<4 | unhex(hash[2*i+1]))
	}
	return k
}

// newNearEntry makes an entry holding t, living until exp.
func newNearEntry(hash string, t *store.Token, exp int64) *nearEntry {
	e := &nearEntry{key: keyOf(hash), exp: exp, tok: *t}
	e.tok.Hash = hash
	strs := []*string{&e.tok.Hash, &e.tok.ID, &e.tok.Type, &e.tok.FormatID, &e.tok.Owner, &e.tok.Name, &e.tok.Last4,
		&e.tok.InvalidReason, &e.tok.RevokedBy, &e.tok.Replaces, &e.tok.ReplacedBy}
	var b strings.Builder
	b.Grow(64 + 16*len(strs))
	for _, s := range strs {
		b.WriteString(*s)
	}
	for _, s := range t.Scopes {
		b.WriteString(s)
	}
	blob, off := b.String(), 0
	cut := func(n int) string { s := blob[off : off+n]; off += n; return s }
	for _, s := range strs {
		*s = cut(len(*s))
	}
	if t.Scopes != nil {
		e.tok.Scopes = make([]string, len(t.Scopes))
		for i, s := range t.Scopes {
			e.tok.Scopes[i] = cut(len(s))
		}
	}
	for i, p := range []**time.Time{&e.tok.ExpiresAt, &e.tok.LastUsedAt, &e.tok.InvalidAt} {
		if *p != nil {
			e.times[i] = **p
			*p = &e.times[i]
		}
	}
	return e
}

// nearTicket is taken before a read is sent: the sequence number, which a
// put checks, and the time the entry's life counts from.
type nearTicket struct {
	seq uint64
	at  int64
}

// newNearCache returns a near cache keeping at most size entries for at
// most maxAge each (maxAge <= 0: off), trusted for lease after each proof
// that the invalidation channel is live.
func newNearCache(maxAge time.Duration, size int, lease time.Duration) *nearCache {
	n := &nearCache{maxAge: maxAge, lease: lease, base: time.Now(), size: int64(max(1, size))}
	for i := range n.shards {
		s := &n.shards[i]
		s.m = make(map[nearKey]*nearEntry)
		s.ring.next, s.ring.prev = &s.ring, &s.ring
	}
	return n
}

// on reports whether the near cache is enabled.
func (n *nearCache) on() bool { return n.maxAge > 0 }

// now is the near cache's clock: monotonic nanoseconds since creation.
func (n *nearCache) now() int64 { return int64(time.Since(n.base)) }

// ticket is taken before a read whose answer may be put.
func (n *nearCache) ticket() nearTicket { return nearTicket{seq: n.seq.Load(), at: n.now()} }

// trusted reports whether entries may answer now.
func (n *nearCache) trusted(now int64) bool {
	return now < n.pongUntil.Load() && now < n.memberUntil.Load()
}

// shard returns hash's shard; hash is 64 lower-case hex characters.
func (n *nearCache) shard(hash string) *nearShard {
	return &n.shards[(unhex(hash[0])<<4|unhex(hash[1]))&(nearShards-1)]
}

func unhex(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}

// get returns a copy of hash's token if the near cache is trusted and
// holds a live entry for it.
func (n *nearCache) get(hash string) (*store.Token, bool) {
	if !n.on() {
		return nil, false
	}
	now := n.now()
	if !n.trusted(now) {
		return nil, false
	}
	s := n.shard(hash)
	s.mu.Lock()
	e := s.m[keyOf(hash)]
	if e == nil {
		s.mu.Unlock()
		return nil, false
	}
	if now >= e.exp {
		n.unlink(s, e)
		s.mu.Unlock()
		return nil, false
	}
	s.toFront(e)
	cp := e.tok
	s.mu.Unlock()
	return &cp, true
}

// put keeps t, read after tk was taken, if it is valid and no invalidation
// or reset happened since. The caller keeps t; put stores a copy.
func (n *nearCache) put(hash string, t *store.Token, tk nearTicket) { n.store(hash, t, tk, false) }

// refresh replaces hash's entry, if there is one, with t read after tk
// (as put; a last_used_at write keeps the token in the near cache).
func (n *nearCache) refresh(hash string, t *store.Token, tk nearTicket) { n.store(hash, t, tk, true) }

// store is put, or refresh when existing is set.
func (n *nearCache) store(hash string, t *store.Token, tk nearTicket, existing bool) {
	if !n.on() || t == nil || !t.Valid || t.Hash != hash {
		return
	}
	ne := newNearEntry(hash, t, tk.at+int64(n.maxAge))
	s := n.shard(hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Checked under the shard's lock: an invalidation bumps seq before it
	// takes the lock, so either this put is refused or the invalidation
	// removes what it put.
	if n.seq.Load() != tk.seq {
		return
	}
	if e := s.m[ne.key]; e != nil {
		n.replace(s, e, ne)
		return
	}
	if existing {
		return
	}
	// Full: this shard's least recently used entry makes room (the shards
	// share one bound, so an unlucky shard holds more, never the cache).
	if n.count.Load() >= n.size && s.ring.prev != &s.ring {
		n.unlink(s, s.ring.prev)
	}
	n.count.Add(1)
	s.m[ne.key] = ne
	ne.prev, ne.next = &s.ring, s.ring.next
	s.ring.next.prev = ne
	s.ring.next = ne
}

// replace puts ne in e's place, most recently used; the caller holds s.mu.
func (n *nearCache) replace(s *nearShard, e, ne *nearEntry) {
	n.unlink(s, e)
	n.count.Add(1)
	s.m[ne.key] = ne
	ne.prev, ne.next = &s.ring, s.ring.next
	s.ring.next.prev = ne
	s.ring.next = ne
}

// invalidate drops hash and refuses every put of a read that started
// before (another process changed its state, or this one did).
func (n *nearCache) invalidate(hash string) {
	n.seq.Add(1)
	n.drop(hash)
}

// drop forgets hash without refusing reads in flight (their answer is as
// valid as the entry was: a last_used_at refresh).
func (n *nearCache) drop(hash string) {
	if !n.on() {
		return
	}
	s := n.shard(hash)
	s.mu.Lock()
	if e := s.m[keyOf(hash)]; e != nil {
		n.unlink(s, e)
	}
	s.mu.Unlock()
}

// reset drops every entry, refuses every read in flight, and withdraws
// trust until a ping and a membership refresh sent after it have answered.
func (n *nearCache) reset() {
	n.tmu.Lock()
	defer n.tmu.Unlock()
	n.seq.Add(1)
	n.resetAt = n.now()
	n.pongUntil.Store(0)
	n.memberUntil.Store(0)
	for i := range n.shards {
		s := &n.shards[i]
		s.mu.Lock()
		n.count.Add(-int64(len(s.m)))
		clear(s.m)
		s.ring.next, s.ring.prev = &s.ring, &s.ring
		s.mu.Unlock()
	}
}

// touched sets LastUsedAt of hash's entry, if there is one, to at when
// that is later (a last_used_at write; the token's state is unchanged).
func (n *nearCache) touched(hash string, at time.Time) {
	if !n.on() {
		return
	}
	s := n.shard(hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[keyOf(hash)]; e != nil && (e.tok.LastUsedAt == nil || e.tok.LastUsedAt.Before(at)) {
		cp := e.tok // entries are never written: get handed out copies that share them
		at := at.UTC()
		cp.LastUsedAt = &at
		ne := newNearEntry(hash, &cp, e.exp)
		n.replace(s, e, ne)
	}
}

// extend records that a ping (pong) or a membership refresh (member) sent
// at sent has answered: trust holds until sent plus the lease, unless a
// reset happened since it was sent.
func (n *nearCache) extend(h *atomic.Int64, sent int64) {
	n.tmu.Lock()
	defer n.tmu.Unlock()
	if sent <= n.resetAt {
		return
	}
	if v := sent + int64(n.lease); v > h.Load() {
		h.Store(v)
	}
}

// len is the number of entries held (for tests).
func (n *nearCache) len() int { return int(n.count.Load()) }

// unlink removes e from shard s; the caller holds s.mu.
func (n *nearCache) unlink(s *nearShard, e *nearEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(s.m, e.key)
	n.count.Add(-1)
}

// toFront marks e most recently used; the caller holds s.mu.
func (s *nearShard) toFront(e *nearEntry) {
	if s.ring.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = &s.ring, s.ring.next
	s.ring.next.prev = e
	s.ring.next = e
}
