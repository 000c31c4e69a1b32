package rediscache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/store"
)

// cmdCounter is a go-redis hook counting the commands the cache sends
// (a pipeline counts once per command in it), the reads (GET, MGET) and
// MGETs among them and the keys of the largest MGET.
type cmdCounter struct{ n, reads, mgets, maxMGET atomic.Int64 }

func (c *cmdCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *cmdCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		if cmd.Name() == "get" || cmd.Name() == "mget" {
			c.reads.Add(1)
		}
		if cmd.Name() == "mget" {
			c.mgets.Add(1)
			k := int64(len(cmd.Args()) - 1)
			for cur := c.maxMGET.Load(); k > cur && !c.maxMGET.CompareAndSwap(cur, k); cur = c.maxMGET.Load() {
			}
		}
		return next(ctx, cmd)
	}
}

func (c *cmdCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// sameAnswer fails unless a batch answer equals the single look-up's:
// both ErrNotFound, or the same token id and validity.
func sameAnswer(t *testing.T, what string, gt *store.Token, gerr error, wt *store.Token, werr error) {
	t.Helper()
	switch {
	case errors.Is(werr, store.ErrNotFound) || errors.Is(gerr, store.ErrNotFound):
		if !errors.Is(gerr, store.ErrNotFound) || !errors.Is(werr, store.ErrNotFound) {
			t.Errorf("%s: batch %v, single %v", what, gerr, werr)
		}
	case gerr != nil || werr != nil:
		t.Errorf("%s: batch err %v, single err %v", what, gerr, werr)
	case gt.ID != wt.ID || gt.Valid != wt.Valid || gt.Hash != wt.Hash:
		t.Errorf("%s: batch %s valid=%v, single %s valid=%v", what, gt.ID, gt.Valid, wt.ID, wt.Valid)
	}
}

func TestTokensByHashMatchesTokenByHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, _, _ := newSharedCache(t, db, nil)
	warm, cold, dead := create(t, c), create(t, db), create(t, c)
	revoke(t, c, dead)
	hashes := []string{warm.Hash, cold.Hash, dead.Hash, unknownHash(t), "not-a-hash", warm.Hash}
	names := []string{"cached", "uncached", "revoked", "unknown", "malformed hash", "duplicate"}
	for round := range 2 { // the first fills, the second hits
		toks, errs := c.TokensByHash(ctx, hashes)
		if len(toks) != len(hashes) || len(errs) != len(hashes) {
			t.Fatalf("got %d tokens and %d errors for %d hashes", len(toks), len(errs), len(hashes))
		}
		for i, h := range hashes {
			wt, werr := c.TokenByHash(ctx, h)
			sameAnswer(t, names[i], toks[i], errs[i], wt, werr)
		}
		if round == 0 {
			continue
		}
		reads := db.hashReads.Load()
		counter := &cmdCounter{}
		c.rdb.AddHook(counter)
		_, _ = c.TokensByHash(ctx, []string{warm.Hash, cold.Hash, dead.Hash})
		if got := counter.n.Load(); got != 1 {
			t.Errorf("warm batch of 3 sent %d Redis commands, want 1 (MGET)", got)
		}
		if got := db.hashReads.Load() - reads; got != 0 {
			t.Errorf("warm batch read the database %d times, want 0", got)
		}
	}
}

// TestTokensByHashRevokeThenVerify: once Revoke has returned, no batch
// look-up that starts afterwards reports the token valid, here or in
// another process sharing Redis, even with batches racing the revoke.
func TestTokensByHashRevokeThenVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, _, prefix := newSharedCache(t, db, nil)
	o := testOptions(prefix)
	o.URL = testenv.RedisURL(t)
	other, err := New(db, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	for range 20 {
		keep, victim := create(t, c), create(t, c)
		hashes := []string{keep.Hash, victim.Hash}
		_, _ = c.TokensByHash(ctx, hashes) // warm: both valid in Redis
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 { // batches racing the revoke
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						_, _ = c.TokensByHash(ctx, hashes)
					}
				}
			})
		}
		revoke(t, c, victim)
		for _, cc := range []*Cache{c, other} {
			toks, errs := cc.TokensByHash(ctx, hashes)
			if errs[1] != nil || toks[1].Valid {
				t.Errorf("after revoke: victim %+v, %v; want invalid", toks[1], errs[1])
			}
			if errs[0] != nil || !toks[0].Valid {
				t.Errorf("after revoke: other token %+v, %v; want valid", toks[0], errs[0])
			}
		}
		close(stop)
		wg.Wait()
	}
}

// TestTokensByHashPausedRedis freezes Redis (SIGSTOP) with warm entries:
// batch answers stay right and return within callBound, a revoke during
// the pause is never reported valid, and after SIGCONT batches hit Redis
// again.
func TestTokensByHashPausedRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := testenv.RedisServer(t)
	db := newTestDB(t)
	c := newFaultCache(t, p, db, nil)
	keep, victim, unknown := create(t, c), create(t, c), unknownHash(t)
	hashes := []string{keep.Hash, victim.Hash, unknown}
	check := func(victimValid bool) {
		t.Helper()
		var toks []*store.Token
		var errs []error
		timed(t, "TokensByHash", func() { toks, errs = c.TokensByHash(ctx, hashes) })
		if errs[0] != nil || !toks[0].Valid || toks[0].ID != keep.ID {
			t.Errorf("keep: %+v, %v", toks[0], errs[0])
		}
		if errs[1] != nil || toks[1].Valid != victimValid {
			t.Errorf("victim: %+v, %v; want valid=%v", toks[1], errs[1], victimValid)
		}
		if !errors.Is(errs[2], store.ErrNotFound) {
			t.Errorf("unknown: %+v, %v; want ErrNotFound", toks[2], errs[2])
		}
	}
	check(true) // fills

	p.Pause()
	paused := true
	defer func() {
		if paused {
			p.Resume()
		}
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				check(true)
			}
		})
	}
	wg.Wait()
	timed(t, "Revoke", func() { revoke(t, c, victim) })
	for range 5 {
		check(false)
	}

	p.Resume()
	paused = false
	waitFor(t, "queue drained", func() bool {
		check(false)
		return c.Pending() == 0 && !c.Degraded()
	})
	reads := db.hashReads.Load()
	check(false)
	if got := db.hashReads.Load() - reads; got != 0 {
		t.Errorf("after recovery a batch read the database %d times, want 0 (all hits)", got)
	}
}

// TestTokensByHashCoalesced: many concurrent batches share MGETs and each
// caller still gets exactly its own answers.
func TestTokensByHashCoalesced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	c, _, _ := newSharedCache(t, db, nil)
	const callers = 32
	toks := make([]*store.Token, callers)
	for i := range toks {
		toks[i] = create(t, c)
		if i%3 == 0 {
			toks[i] = revoke(t, c, toks[i])
		}
	}
	counter := &cmdCounter{}
	c.rdb.AddHook(counter)
	var wg sync.WaitGroup
	var calls atomic.Int64
	for i := range callers {
		wg.Go(func() {
			mine, unknown := toks[i], unknownHash(t)
			for range 20 {
				calls.Add(1)
				got, errs := c.TokensByHash(ctx, []string{mine.Hash, unknown, mine.Hash})
				for _, j := range []int{0, 2} {
					if errs[j] != nil || got[j].ID != mine.ID || got[j].Valid != mine.Valid {
						t.Errorf("caller %d: got %+v, %v; want %s valid=%v", i, got[j], errs[j], mine.ID, mine.Valid)
					}
				}
				if !errors.Is(errs[1], store.ErrNotFound) {
					t.Errorf("caller %d: unknown hash gave %+v, %v", i, got[1], errs[1])
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d batch look-ups, %d Redis commands (MGETs shared, plus negative-entry fills)", calls.Load(), counter.n.Load())
}

// TestTokensByHashWaiterGivesUp: a caller waiting behind an MGET to a
// paused Redis returns when its context ends, and answers stay right.
func TestTokensByHashWaiterGivesUp(t *testing.T) {
	t.Parallel()
	p := testenv.RedisServer(t)
	db := newTestDB(t)
	// No near cache: both calls below must reach the paused Redis.
	c := newFaultCache(t, p, db, func(o *Options) { o.OpTimeout = 2 * time.Second; o.Cooldown = time.Minute; o.LocalTTL = -1 })
	tok := create(t, c)
	_, _ = c.TokensByHash(context.Background(), []string{tok.Hash}) // fill
	p.Pause()
	defer p.Resume()
	leader := make(chan struct{})
	go func() { // blocks in an MGET until OpTimeout
		defer close(leader)
		got, errs := c.TokensByHash(context.Background(), []string{tok.Hash})
		if errs[0] != nil || got[0].ID != tok.ID {
			t.Errorf("leader: %+v, %v", got[0], errs[0])
		}
	}()
	time.Sleep(50 * time.Millisecond) // let it send
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	got, errs := c.TokensByHash(ctx, []string{tok.Hash})
	if d := time.Since(start); d > time.Second {
		t.Errorf("waiter took %v; want about its 100 ms context", d)
	}
	// The waiter falls back to the database with its ended context: it
	// answers the token or the context's error, never another token.
	if err := errs[0]; (err != nil && !errors.Is(err, context.DeadlineExceeded)) || (err == nil && got[0].ID != tok.ID) {
		t.Errorf("waiter: %+v, %v", got[0], err)
	}
	<-leader
}
