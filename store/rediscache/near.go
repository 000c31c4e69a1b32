package rediscache

import (
	"encoding/binary"
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

// nearShard is one locked part of the near cache. It holds no pointers
// the garbage collector must follow (a map of fixed-size keys and
// indexes, a slice of slots, one byte arena): a cache of 100,000 tokens
// costs a collection almost nothing to mark, where a heap object per
// token, with a dozen pointers each, made every collection of a busy
// verifier long (benchmarks/README.md, issue 16).
type nearShard struct {
	mu    sync.Mutex
	m     map[nearKey]int32 // each held key's slot
	slots []nearSlot        // slots[0] is the sentinel of the LRU ring
	free  []int32           // slots not in use
	arena []byte            // the held tokens, encoded (encodeNear)
	live  int               // bytes of arena that held slots use
}

// nearSlot is one token held: where its encoding is in the arena, when
// it ends, and its neighbours in the LRU ring (slots[0].next is the most
// recently used). Slots are written only under the shard's lock.
type nearSlot struct {
	key        nearKey
	exp        int64 // end of the entry's life (now() clock)
	prev, next int32
	off, n     int32 // arena[off:off+n]
}

// nearKey is a map key of the near cache: the hash's bytes.
type nearKey [32]byte

// keyOf is hash's key; hash is 64 lower-case hex characters.
func keyOf(hash string) nearKey {
	var k nearKey
	for i := range k {
		k[i] = byte(unhex(hash[2*i])<<4 | unhex(hash[2*i+1]))
	}
	return k
}

// A token's encoding in the arena: its four times first, each
// nearTimeLen bytes at a fixed place (so a last_used_at write rewrites
// LastUsedAt in place), then Valid, then its strings, each a uvarint
// length and the bytes, then its scopes: a uvarint count plus one (0:
// nil) and each as a string. Hash is not kept: it is the key.
const (
	nearTimeLen  = 13 // kind, Unix nanoseconds (8), zone offset in seconds (4)
	nearLastUsed = 2 * nearTimeLen
	nearFixed    = 4*nearTimeLen + 1
)

// Time kinds: absent (a nil pointer), UTC, or another zone's offset.
const (
	nearNoTime = iota
	nearUTC
	nearZone
)

// nearStrings are t's string fields in the encoding's order.
func nearStrings(t *store.Token) [10]*string {
	return [10]*string{&t.ID, &t.Type, &t.FormatID, &t.Owner, &t.Name, &t.Last4,
		&t.InvalidReason, &t.RevokedBy, &t.Replaces, &t.ReplacedBy}
}

// encodeNear appends t's encoding to b.
func encodeNear(b []byte, t *store.Token) []byte {
	b = putNearTime(b, &t.CreatedAt)
	b = putNearTime(b, t.ExpiresAt)
	b = putNearTime(b, t.LastUsedAt)
	b = putNearTime(b, t.InvalidAt)
	if t.Valid {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for _, s := range nearStrings(t) {
		b = binary.AppendUvarint(b, uint64(len(*s)))
		b = append(b, *s...)
	}
	if t.Scopes == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(t.Scopes))+1)
	for _, s := range t.Scopes {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// putNearTime appends t (nil: absent) in nearTimeLen bytes.
func putNearTime(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, make([]byte, nearTimeLen)...)
	}
	kind, off := byte(nearUTC), 0
	if t.Location() != time.UTC {
		_, off = t.Zone()
		kind = nearZone
	}
	b = append(b, kind)
	b = binary.LittleEndian.AppendUint64(b, uint64(t.UnixNano()))
	return binary.LittleEndian.AppendUint32(b, uint32(int32(off)))
}

// nearTime reads a time putNearTime wrote at b's start into *dst;
// false: absent.
func nearTime(b string, dst *time.Time) bool {
	if b[0] == nearNoTime {
		return false
	}
	le := func(b string) (v uint64) {
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		return v
	}
	t := time.Unix(0, int64(le(b[1:9]))).UTC()
	if b[0] == nearZone {
		t = t.In(time.FixedZone("", int(int32(uint32(le(b[9:13]))))))
	}
	*dst = t
	return true
}

// nearCopy is a token handed out by get, with its times: one allocation.
type nearCopy struct {
	tok   store.Token
	times [3]time.Time // ExpiresAt, LastUsedAt, InvalidAt point here
}

// decodeNear rebuilds the token encodeNear wrote into enc (a copy of the
// arena's bytes, which its strings share), with Hash set to hash.
func decodeNear(enc, hash string) *store.Token {
	c := new(nearCopy)
	t := &c.tok
	t.Hash = hash
	nearTime(enc, &t.CreatedAt)
	for i, p := range []**time.Time{&t.ExpiresAt, &t.LastUsedAt, &t.InvalidAt} {
		if nearTime(enc[(i+1)*nearTimeLen:], &c.times[i]) {
			*p = &c.times[i]
		}
	}
	t.Valid = enc[4*nearTimeLen] == 1
	pos := nearFixed
	str := func() string {
		n, k := uvarintString(enc[pos:])
		s := enc[pos+k : pos+k+int(n)]
		pos += k + int(n)
		return s
	}
	for _, p := range nearStrings(t) {
		*p = str()
	}
	if n, k := uvarintString(enc[pos:]); n > 0 {
		pos += k
		t.Scopes = make([]string, n-1)
		for i := range t.Scopes {
			t.Scopes[i] = str()
		}
	}
	return t
}

// uvarintString is binary.Uvarint over a string (the encoding is ours:
// never malformed).
func uvarintString(s string) (uint64, int) {
	var v uint64
	for i := 0; i < len(s); i++ {
		v |= uint64(s[i]&0x7f) << (7 * i)
		if s[i] < 0x80 {
			return v, i + 1
		}
	}
	return v, len(s)
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
		n.shards[i].clear()
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
	i, ok := s.m[keyOf(hash)]
	if !ok {
		s.mu.Unlock()
		return nil, false
	}
	e := &s.slots[i]
	if now >= e.exp {
		n.unlink(s, i)
		s.mu.Unlock()
		return nil, false
	}
	s.toFront(i)
	enc := string(s.arena[e.off : e.off+e.n]) // the arena may move once unlocked
	s.mu.Unlock()
	return decodeNear(enc, hash), true
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
	key := keyOf(hash)
	s := n.shard(hash)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Checked under the shard's lock: an invalidation bumps seq before it
	// takes the lock, so either this put is refused or the invalidation
	// removes what it put.
	if n.seq.Load() != tk.seq {
		return
	}
	i, held := s.m[key]
	if held {
		n.unlink(s, i)
	} else if existing {
		return
	}
	// Full: this shard's least recently used entry makes room (the shards
	// share one bound, so an unlucky shard holds more, never the cache).
	if n.count.Load() >= n.size && s.slots[0].prev != 0 {
		n.unlink(s, s.slots[0].prev)
	}
	off := len(s.arena)
	s.arena = encodeNear(s.arena, t)
	n.link(s, key, tk.at+int64(n.maxAge), off, len(s.arena)-off)
}

// link holds key as the most recently used entry, its token at
// arena[off:off+size]; the caller holds s.mu.
func (n *nearCache) link(s *nearShard, key nearKey, exp int64, off, size int) {
	var i int32
	if k := len(s.free); k > 0 {
		i, s.free = s.free[k-1], s.free[:k-1]
	} else {
		i = int32(len(s.slots))
		s.slots = append(s.slots, nearSlot{})
	}
	first := s.slots[0].next
	s.slots[i] = nearSlot{key: key, exp: exp, prev: 0, next: first, off: int32(off), n: int32(size)}
	s.slots[first].prev = i
	s.slots[0].next = i
	s.m[key] = i
	s.live += size
	n.count.Add(1)
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
	if i, ok := s.m[keyOf(hash)]; ok {
		n.unlink(s, i)
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
		s.clear()
		s.mu.Unlock()
	}
}

// clear empties s; the caller holds s.mu (or owns s).
func (s *nearShard) clear() {
	if s.m == nil {
		s.m = make(map[nearKey]int32)
	}
	clear(s.m)
	s.slots = append(s.slots[:0], nearSlot{}) // the sentinel: a ring of one
	s.free, s.arena, s.live = s.free[:0], s.arena[:0], 0
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
	i, ok := s.m[keyOf(hash)]
	if !ok {
		return
	}
	e := &s.slots[i]
	enc := s.arena[e.off : e.off+e.n]
	var last time.Time
	if nearTime(string(enc[nearLastUsed:nearLastUsed+nearTimeLen]), &last) && !last.Before(at) {
		return
	}
	at = at.UTC()
	var b [nearTimeLen]byte
	copy(enc[nearLastUsed:], putNearTime(b[:0], &at))
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

// unlink removes slot i from shard s, and compacts the arena once most of
// it is no longer used; the caller holds s.mu.
func (n *nearCache) unlink(s *nearShard, i int32) {
	e := &s.slots[i]
	s.slots[e.prev].next, s.slots[e.next].prev = e.next, e.prev
	delete(s.m, e.key)
	s.live -= int(e.n)
	*e = nearSlot{}
	s.free = append(s.free, i)
	n.count.Add(-1)
	if len(s.arena) > 64<<10 && len(s.arena) > 2*s.live {
		s.compact()
	}
}

// compact copies the tokens still held into a new arena; the caller holds
// s.mu.
func (s *nearShard) compact() {
	arena := make([]byte, 0, s.live+s.live/2)
	for i := s.slots[0].next; i != 0; i = s.slots[i].next {
		e := &s.slots[i]
		off := len(arena)
		arena = append(arena, s.arena[e.off:e.off+e.n]...)
		e.off = int32(off)
	}
	s.arena = arena
}

// toFront marks slot i most recently used; the caller holds s.mu.
func (s *nearShard) toFront(i int32) {
	if s.slots[0].next == i {
		return
	}
	e := &s.slots[i]
	s.slots[e.prev].next, s.slots[e.next].prev = e.next, e.prev
	first := s.slots[0].next
	e.prev, e.next = 0, first
	s.slots[first].prev = i
	s.slots[0].next = i
}
