package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/internal/wait"
	"github.com/leakguard/leakguard/store"
)

// The invalidation channel (see nearCache for why it is correct). Under
// the key prefix P:
//
//	P near:inval          pub/sub channel: "<hash> <origin id> <message id>"
//	P near:ack:<id>       pub/sub channel of process <id>: "<message id> <member id>"
//	P near:members        hash: born → ms (Redis time it was created), <id> → ms (membership end)
//
// Every Cache subscribes to both channels (a process without a near cache
// still needs its acknowledgements); only a Cache with a near cache is a
// member. Ids are random per Cache; message ids count up per Cache.

// putLua overwrites a hash entry (KEYS[1]) and its id pointer (KEYS[2]),
// except that a valid state (ARGV[3] == "1") never replaces an entry that
// says the token is invalid. ARGV: value, ttl ms, valid flag, hash,
// pointer ttl ms. put returns 1 when the entry was written, 0 when kept.
const putLua = `
local function put()
  if ARGV[3] == '1' then
    local cur = redis.call('GET', KEYS[1])
    if cur then
      local ok, c = pcall(cjson.decode, cur)
      if ok and type(c) == 'table' and c.found == true and type(c.token) == 'table' and c.token.valid == false then
        redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
        return 0
      end
    end
  end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
  return 1
end
local function nowms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// putScript is putLua's put alone.
var putScript = redis.NewScript(putLua + `return put()`)

// pushScript is put (KEYS 1 and 2, ARGV 1 to 5, as putScript), then the
// invalidation: PUBLISH ARGV[6] on channel KEYS[4], and the live members
// of the members hash KEYS[3] (whose TTL becomes ARGV[7] ms), dead ones
// deleted. It returns {ms since the members hash was born, live ids...},
// all in one atomic step: a process that reads the entry after it sees
// the revoked state, and one that held the old state gets the message.
var pushScript = redis.NewScript(putLua + `
put()
redis.call('PUBLISH', KEYS[4], ARGV[6])
local now = nowms()
local born = tonumber(redis.call('HGET', KEYS[3], 'born'))
if not born then
  born = now
  redis.call('HSET', KEYS[3], 'born', now)
end
redis.call('PEXPIRE', KEYS[3], ARGV[7])
local out = {now - born}
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  if all[i] ~= 'born' then
    local exp = tonumber(all[i + 1])
    if exp and exp > now then
      out[#out + 1] = all[i]
    else
      redis.call('HDEL', KEYS[3], all[i])
    end
  end
end
return out
`)

// memberScript renews membership ARGV[1] in the members hash KEYS[1] for
// ARGV[2] ms (the hash's TTL becomes ARGV[3] ms). It returns 1 when the
// membership was still live, 0 when it had lapsed or never existed (a
// revocation may have left this process out: it must reset).
var memberScript = redis.NewScript(putLua + `
local now = nowms()
redis.call('HSETNX', KEYS[1], 'born', now)
local prev = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if prev and prev > now then
  return 1
end
return 0
`)

// membersTTL is how long the members hash outlives its last use.
const membersTTL = 24 * time.Hour

// memberSpan is how many leases a renewal keeps a membership in the
// members hash. This process trusts its near cache for one lease after a
// renewal was sent; the membership outlives that, so that renewals a
// loaded machine delays by a little over a lease cost trust for a moment
// but not a reset (a membership that lapsed in Redis means a revocation
// may have left this process out, and empties the near cache). A
// revocation waits at most one lease for any member, live or dead.
const memberSpan = 3

// pingRing is how many recent pings' send times are remembered.
const pingRing = 16

// channel is one Cache's end of the invalidation channel: its
// subscription (with pings that prove it live), its membership, the
// acknowledgements it sends, and the revocations waiting for theirs.
type channel struct {
	c     *Cache
	near  *nearCache
	id    string
	lease time.Duration
	beat  time.Duration

	invalCh, ackCh, members string

	ps     *redis.PubSub
	nextID atomic.Uint64
	acks   chan ackOut

	mu       sync.Mutex
	waits    map[string]*ackWait
	deferred []*ackWait
	pings    [pingRing]pingSent

	stop   chan struct{}
	ctx    context.Context // ends with close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type pingSent struct {
	n  uint64
	at int64 // near clock
}

// ackOut is an acknowledgement to send: message id to origin.
type ackOut struct{ origin, msg string }

// ackWait is one revocation waiting for the members' acknowledgements.
type ackWait struct {
	msg                string              // message id; "" for a blind wait
	earliest, deadline int64               // near clock; never before, never after
	need               map[string]struct{} // live members; nil: wait the deadline
	got                map[string]struct{}
	done               chan struct{} // closed once need ⊆ got
	closed             bool
}

func newChannel(c *Cache) *channel {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	ch := &channel{c: c, near: c.near, id: id, lease: c.opt.ChannelLease, beat: c.opt.ChannelLease / 5,
		invalCh: c.opt.Prefix + "near:inval", ackCh: c.opt.Prefix + "near:ack:" + id,
		members: c.opt.Prefix + "near:members",
		acks:    make(chan ackOut, 1024), waits: map[string]*ackWait{}, stop: make(chan struct{})}
	ch.ctx, ch.cancel = context.WithCancel(context.Background())
	ch.ps = c.rdb.Subscribe(context.Background()) // no channel yet: does not dial
	ch.wg.Add(3)
	go func() { defer ch.wg.Done(); ch.receive() }()
	go func() { defer ch.wg.Done(); ch.heartbeat() }()
	go func() { defer ch.wg.Done(); ch.sendAcks() }()
	return ch
}

// close stops the channel's goroutines and leaves the membership.
func (ch *channel) close() {
	close(ch.stop)
	ch.cancel()
	_ = ch.ps.Close()
	ch.wg.Wait()
	if ch.near.on() {
		ctx, cancel := context.WithTimeout(context.Background(), ch.c.opt.OpTimeout)
		_ = ch.c.rdb.HDel(ctx, ch.members, ch.id).Err()
		cancel()
	}
}

// stopped reports whether close was called.
func (ch *channel) stopped() bool {
	select {
	case <-ch.stop:
		return true
	default:
		return false
	}
}

// receive reads the subscription: invalidations (drop, then acknowledge),
// acknowledgements of this process's revocations, pongs (trust), and
// subscription confirmations or errors (reset: messages may have been
// lost).
func (ch *channel) receive() {
	_ = ch.ps.Subscribe(context.Background(), ch.invalCh, ch.ackCh) // on error the next receive reconnects
	// subscribed: the invalidation channel's subscription is confirmed on
	// the current connection. A pong proves delivery only then: a ping
	// written before the SUBSCRIBE is answered before its confirmation.
	subscribed := false
	for !ch.stopped() {
		msg, err := ch.ps.ReceiveTimeout(context.Background(), 2*ch.beat)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // paused or quiet: nothing lost, trust lapses by itself
			}
			if ch.stopped() {
				return
			}
			subscribed = false
			ch.near.reset()
			ch.c.log.Debug().Err(err).Msg("rediscache: invalidation channel lost; near cache emptied")
			_ = wait.Sleep(ch.ctx, ch.beat)
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			ch.near.reset() // (re)subscribed: what was published before is lost
			if m.Channel == ch.invalCh {
				subscribed = m.Kind == "subscribe"
			}
		case *redis.Pong:
			if at, ok := ch.pingAt(m.Payload); ok && subscribed {
				ch.near.extend(&ch.near.pongUntil, at)
			}
		case *redis.Message:
			ch.onMessage(m)
		}
	}
}

// onMessage handles an invalidation or an acknowledgement.
func (ch *channel) onMessage(m *redis.Message) {
	switch m.Channel {
	case ch.invalCh:
		hash, origin, msg, ok := parseInval(m.Payload)
		if !ok {
			return
		}
		ch.near.invalidate(hash)
		if !ch.near.on() { // not a member: nobody waits for this process
			return
		}
		select {
		case ch.acks <- ackOut{origin: origin, msg: msg}:
		default: // the revocation waits its lease instead
		}
	case ch.ackCh:
		if msg, from, ok := parseAck(m.Payload); ok {
			ch.acked(msg, from)
		}
	}
}

// parseInval reads an invalidation "<hash> <origin> <message id>".
func parseInval(s string) (hash, origin, msg string, ok bool) {
	f := strings.Fields(s)
	if len(f) != 3 || !leakguard.ValidHash(f[0]) || !isID(f[1]) || !isID(f[2]) {
		return "", "", "", false
	}
	return f[0], f[1], f[2], true
}

// parseAck reads an acknowledgement "<message id> <member id>".
func parseAck(s string) (msg, from string, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 || !isID(f[0]) || !isID(f[1]) {
		return "", "", false
	}
	return f[0], f[1], true
}

// isID reports whether s is 1 to 32 lower-case hex characters.
func isID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// heartbeat pings the subscription and renews the membership every beat.
func (ch *channel) heartbeat() {
	t := time.NewTicker(ch.beat)
	defer t.Stop()
	for {
		ch.ping()
		if ch.near.on() {
			ch.renew()
		}
		select {
		case <-ch.stop:
			return
		case <-t.C:
		}
	}
}

// beatTimeout bounds the heartbeat's calls: they only need to answer
// within the lease, and a tight bound would withdraw trust on a loaded
// machine for nothing.
func (ch *channel) beatTimeout() time.Duration { return max(ch.c.opt.OpTimeout, ch.lease/2) }

// ping sends a numbered ping on the subscription; its pong extends trust
// (receive). A failed send means the subscription is broken.
func (ch *channel) ping() {
	n := ch.nextID.Add(1)
	at := ch.near.now()
	ch.mu.Lock()
	ch.pings[n%pingRing] = pingSent{n: n, at: at}
	ch.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), ch.beatTimeout())
	defer cancel()
	if err := ch.ps.Ping(ctx, "p"+strconv.FormatUint(n, 16)); err != nil && !ch.stopped() {
		ch.near.reset()
	}
}

// pingAt returns when the ping a pong answers was sent.
func (ch *channel) pingAt(payload string) (int64, bool) {
	if !strings.HasPrefix(payload, "p") {
		return 0, false
	}
	n, err := strconv.ParseUint(payload[1:], 16, 64)
	if err != nil {
		return 0, false
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	p := ch.pings[n%pingRing]
	return p.at, p.n == n
}

// renew refreshes this process's membership. A membership found lapsed
// means revocations may have left this process out: reset, then renew
// again so that trust can resume.
func (ch *channel) renew() {
	for range 2 {
		at := ch.near.now()
		ctx, cancel := context.WithTimeout(context.Background(), ch.beatTimeout())
		live, err := memberScript.Run(ctx, ch.c.rdb, []string{ch.members}, ch.id,
			(memberSpan * ch.lease).Milliseconds(), membersTTL.Milliseconds()).Int()
		cancel()
		switch {
		case err != nil:
			return // the membership lapses by itself
		case live == 1:
			ch.near.extend(&ch.near.memberUntil, at)
			return
		}
		ch.near.reset()
	}
}

// sendAcks publishes acknowledgements, batching those that queue up.
func (ch *channel) sendAcks() {
	for {
		var a ackOut
		select {
		case <-ch.stop:
			return
		case a = <-ch.acks:
		}
		batch := []ackOut{a}
		for len(batch) < 64 {
			select {
			case a = <-ch.acks:
				batch = append(batch, a)
				continue
			default:
			}
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), ch.c.opt.OpTimeout)
		_, _ = ch.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, a := range batch {
				p.Publish(ctx, ch.c.opt.Prefix+"near:ack:"+a.origin, a.msg+" "+ch.id)
			}
			return nil
		})
		cancel()
	}
}

// pushArgs are the keys and arguments of pushScript for w and message.
func (ch *channel) pushArgs(w *write, msg string) ([]string, []any) {
	keys, args := ch.c.putArgs(w)
	return append(keys, ch.members, ch.invalCh), append(args, msg, membersTTL.Milliseconds())
}

// push writes w and publishes its invalidation in one script (pushScript),
// returning, when track is set, the revocation's wait for the members'
// acknowledgements (to pass to wait or later). On error nothing is known
// to have been written.
func (ch *channel) push(ctx context.Context, w *write, track bool) (*ackWait, error) {
	msg := strconv.FormatUint(ch.nextID.Add(1), 16)
	aw := &ackWait{msg: msg, got: map[string]struct{}{}, done: make(chan struct{})}
	if track {
		ch.mu.Lock()
		ch.waits[msg] = aw // before the script: an acknowledgement may beat its answer
		ch.mu.Unlock()
	}
	keys, args := ch.pushArgs(w, w.hash+" "+ch.id+" "+msg)
	res, err := pushScript.Run(ctx, ch.c.rdb, keys, args...).Slice()
	now := ch.near.now()
	if err == nil && len(res) == 0 {
		err = errors.New("empty answer")
	}
	if err != nil {
		ch.forget(msg)
		return nil, fmt.Errorf("rediscache: push %s: %w", w.hash, err)
	}
	age, _ := res[0].(int64)
	need := make(map[string]struct{}, len(res)-1)
	for _, m := range res[1:] {
		if s, ok := m.(string); ok {
			need[s] = struct{}{}
		}
	}
	ch.mu.Lock()
	aw.deadline = now + int64(ch.lease)
	aw.earliest = now + max(0, int64(ch.lease)-age*int64(time.Millisecond))
	aw.need = need
	ch.check(aw)
	ch.mu.Unlock()
	return aw, nil
}

// blind is the wait of a revocation whose invalidation could not be sent:
// one lease, after which no process trusts a near cache that the channel
// could not reach.
func (ch *channel) blind() *ackWait {
	now := ch.near.now()
	return &ackWait{earliest: now + int64(ch.lease), deadline: now + int64(ch.lease), done: make(chan struct{})}
}

// acked records member from's acknowledgement of message msg.
func (ch *channel) acked(msg, from string) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if aw := ch.waits[msg]; aw != nil {
		aw.got[from] = struct{}{}
		ch.check(aw)
	}
}

// check closes aw.done once every needed member has acknowledged; the
// caller holds ch.mu.
func (ch *channel) check(aw *ackWait) {
	if aw.closed || aw.need == nil {
		return
	}
	for m := range aw.need {
		if _, ok := aw.got[m]; !ok {
			return
		}
	}
	aw.closed = true
	close(aw.done)
}

// forget stops tracking message msg.
func (ch *channel) forget(msg string) {
	ch.mu.Lock()
	delete(ch.waits, msg)
	ch.mu.Unlock()
}

// wait blocks until aw is settled: every member acknowledged (and the
// members hash is old enough) or the deadline passed, or ctx ended.
func (ch *channel) wait(ctx context.Context, aw *ackWait) error {
	if d := time.Duration(aw.deadline - ch.near.now()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-aw.done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	if d := time.Duration(aw.earliest - ch.near.now()); d > 0 {
		_ = wait.Sleep(ctx, d)
	}
	if aw.msg != "" {
		ch.forget(aw.msg)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("rediscache: settle: %w", err)
	}
	return nil
}

// later keeps aw for settle (RevokeRequest.DeferSettle).
func (ch *channel) later(aw *ackWait) {
	ch.mu.Lock()
	ch.deferred = append(ch.deferred, aw)
	ch.mu.Unlock()
}

// settle waits out every deferred revocation.
func (ch *channel) settle(ctx context.Context) error {
	ch.mu.Lock()
	ws := ch.deferred
	ch.deferred = nil
	ch.mu.Unlock()
	for i, aw := range ws {
		if err := ch.wait(ctx, aw); err != nil {
			ch.mu.Lock()
			ch.deferred = append(ch.deferred, ws[i:]...)
			ch.mu.Unlock()
			return err
		}
	}
	return nil
}

// Cache implements store.Settler.
var _ store.Settler = (*Cache)(nil)

// Settle returns once every revocation made through c with
// RevokeRequest.DeferSettle is settled: acknowledged by every process
// that may hold the token in its near cache, or a ChannelLease old (see
// store.Settler and nearCache).
func (c *Cache) Settle(ctx context.Context) error { return c.ch.settle(ctx) }
