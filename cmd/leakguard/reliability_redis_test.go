package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/internal/testenv"
)

// verifyBound is the longest any verify may take while Redis is slow,
// paused or gone (the cache's own budget is 100 ms per call).
const verifyBound = time.Second

// testRedisFaults is issue 4/5's Redis fault test: `leakguard serve
// --redis` against a throw-away redis-server that is paused (SIGSTOP),
// resumed, paused and killed (SIGKILL) and restarted empty, under verify
// load. Every answer must stay right, every request must finish within
// verifyBound, and a token revoked through the partner endpoint must never
// be accepted after the 200.
func testRedisFaults(t *testing.T, bin string) {
	rd := testenv.RedisServer(t)
	key, logs := newPartnerKey(t), &syncBuffer{}
	db := "sqlite:" + filepath.Join(t.TempDir(), "lg.db")
	admin := issueAdminCLI(t, bin, db, logs)
	srv := startServe(t, bin, logs, "--db", db, "--redis", rd.URL(), "--github-keys-url", key.srv.URL, "--log-level", "warn")
	api := newAPIClient(srv.url(), admin)
	svc := api.issue(t, "service", "verifier")
	f := &faultLoad{t: t, api: newAPIClient(srv.url(), svc.Token), admin: api, key: key,
		valid: issueMany(t, api, 40, "valid"), doomed: issueMany(t, api, 40, "doomed"), revoked: map[string]time.Time{}}
	f.issued = map[string]bool{}
	for _, tok := range append(append([]issued(nil), f.valid...), f.doomed...) { // warm the cache
		f.issued[tok.Token] = true
		f.check(tok.Token, time.Now())
	}
	if n := redisKeys(t, rd); n == 0 {
		t.Fatal("the cache holds no key after warm-up: is --redis used?")
	}
	f.start(4)

	f.phase("warm", nil, 0)
	f.phase("paused", rd.Pause, 0)
	f.phase("resumed", rd.Resume, 10)
	f.phase("paused again", rd.Pause, 20)
	f.phase("killed", rd.Kill, 30)
	f.phase("restarted", rd.Restart, 40)

	f.stopLoad()
	waitRedisReady(t, api)
	for _, tok := range f.doomed { // every acknowledged revocation holds
		f.check(tok.Token, time.Now())
	}
	// Recovery: once the breaker's cool-down has passed, look-ups fill the
	// cache again.
	for deadline := time.Now().Add(10 * time.Second); redisKeys(t, rd) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the cache is not used again after Redis came back")
		}
		f.check(f.valid[0].Token, time.Now())
	}
	t.Logf("%d verifies, slowest %v", f.count.Load(), time.Duration(f.slowest.Load()))
}

// faultLoad is verify traffic with its expectations: valid tokens must be
// valid, unknown ones invalid, and revoked ones invalid once the revoking
// batch was answered 200.
type faultLoad struct {
	t      *testing.T
	api    *apiClient // service token
	admin  *apiClient
	key    *partnerKey
	valid  []issued
	doomed []issued        // revoked in slices of 10, one slice per phase
	issued map[string]bool // every issued token (valid until revoked)

	mu      sync.Mutex
	revoked map[string]time.Time // token → when its batch was acknowledged

	count, slowest atomic.Int64
	stop           chan struct{}
	wg             sync.WaitGroup
}

// check verifies tok (started at start) and records any wrong answer.
func (f *faultLoad) check(tok string, start time.Time) {
	f.mu.Lock()
	ackedAt, isRevoked := f.revoked[tok]
	f.mu.Unlock()
	v, code, err := f.api.verify(tok)
	took := time.Since(start)
	f.count.Add(1)
	for s := f.slowest.Load(); int64(took) > s && !f.slowest.CompareAndSwap(s, int64(took)); s = f.slowest.Load() {
	}
	switch {
	case err != nil:
		f.t.Errorf("verify: %d %v", code, err)
	case took > verifyBound:
		f.t.Errorf("verify took %v (bound %v)", took, verifyBound)
	case isRevoked && start.After(ackedAt) && v.Valid:
		f.t.Errorf("token %s accepted after its revocation was acknowledged", v.ID)
	case !isRevoked && f.issued[tok] != v.Valid:
		f.t.Errorf("token %s: valid=%v, want %v", v.ID, v.Valid, !v.Valid)
	}
}

// start runs n verify workers over valid, unknown and doomed tokens.
func (f *faultLoad) start(n int) {
	f.stop = make(chan struct{})
	for range n {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			for {
				select {
				case <-f.stop:
					return
				default:
				}
				f.check(f.pick(), time.Now())
			}
		}()
	}
}

// pick chooses a valid token, an unknown one, or a revoked one.
func (f *faultLoad) pick() string {
	switch rand.IntN(3) {
	case 0:
		return unknownToken()
	case 1:
		f.mu.Lock()
		defer f.mu.Unlock()
		for tok := range f.revoked {
			return tok
		}
	}
	return f.valid[rand.IntN(len(f.valid))].Token
}

// phase applies fault, runs load for a moment, revokes doomed[from:from+10]
// through the partner endpoint (checking each at once after the 200), and
// runs load a moment longer.
func (f *faultLoad) phase(name string, fault func(), from int) {
	f.t.Helper()
	if fault != nil {
		fault()
	}
	time.Sleep(300 * time.Millisecond)
	if from+10 <= len(f.doomed) {
		f.revoke(name, f.doomed[from:from+10])
	}
	time.Sleep(300 * time.Millisecond)
}

// revoke sends toks in one signed batch, marks them revoked when it is
// answered 200 and verifies each at once.
func (f *faultLoad) revoke(phase string, toks []issued) {
	f.t.Helper()
	plain := make([]string, len(toks))
	for i, tok := range toks {
		plain[i] = tok.Token
	}
	start := time.Now()
	code, out, err := f.admin.sendBatch(f.t, f.key, partnerBatch(f.t, plain, "https://github.com/octo/redis/"+strings.ReplaceAll(phase, " ", "-")))
	if err != nil || code != http.StatusOK {
		f.t.Fatalf("%s: partner batch: %d %v %s", phase, code, err, out)
	}
	if took := time.Since(start); took > 5*time.Second {
		f.t.Errorf("%s: partner batch took %v", phase, took)
	}
	acked := time.Now()
	f.mu.Lock()
	for _, tok := range plain {
		f.revoked[tok] = acked
	}
	f.mu.Unlock()
	for _, tok := range plain {
		f.check(tok, time.Now())
	}
}

// stopLoad stops the workers.
func (f *faultLoad) stopLoad() {
	close(f.stop)
	f.wg.Wait()
}

// redisKeys counts the keys in the throw-away server.
func redisKeys(t *testing.T, rd *testenv.RedisProc) int64 {
	t.Helper()
	rdb := rd.Client()
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := rdb.DBSize(ctx).Result()
	if err != nil {
		t.Fatalf("redis DBSIZE: %v", err)
	}
	return n
}

// waitRedisReady waits until /readyz reports Redis ok again (recovery).
func waitRedisReady(t *testing.T, api *apiClient) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		code, out, err := api.do("GET", "/readyz", nil, nil)
		last = fmt.Sprint(code, " ", err, " ", string(out))
		if err == nil && code == http.StatusOK && strings.Contains(string(out), `"redis":"ok"`) {
			return
		}
	}
	t.Fatalf("readyz never reported Redis back: %s", last)
}
