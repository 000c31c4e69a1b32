package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestServeReliability is issue 4/5's reliability suite against the real
// binary (built once here) and real servers:
//   - kill9: `leakguard serve` takes signed partner batches and verifies
//     under concurrent load, is killed with SIGKILL mid-load and restarted
//     on the same database. Every token acknowledged with 200 must be
//     revoked; no token may be half-revoked (valid=false ⇔ one
//     leak_reported event ⇔ one token.revoked notification, delivered or
//     still pending); after the restart the receiver gets every
//     notification at least once.
//   - redis-faults: see testRedisFaults.
//   - canary: see testCanary.
//
// PostgreSQL and redis-server cases skip when those are unavailable,
// unless LEAKGUARD_REQUIRE_SERVICES=1.
func TestServeReliability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, kills it, and runs redis-server")
	}
	bin := buildLeakguard(t)
	t.Run("kill9/sqlite", func(t *testing.T) {
		testKill9(t, bin, "sqlite:"+filepath.Join(t.TempDir(), "lg.db"))
	})
	t.Run("kill9/postgres", func(t *testing.T) {
		dsn, _ := testPostgres(t)
		testKill9(t, bin, dsn)
	})
	t.Run("redis-faults", func(t *testing.T) { testRedisFaults(t, bin) })
	t.Run("canary/sqlite+redis", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lg.db")
		testCanary(t, bin, "sqlite:"+path, dumpSQLiteFiles(path))
	})
	t.Run("canary/postgres+redis", func(t *testing.T) {
		dsn, schema := testPostgres(t)
		testCanary(t, bin, dsn, dumpPostgresSchema(dsn, schema))
	})
}

// batchOutcome is one partner batch sent under load.
type batchOutcome struct {
	tokens []issued
	acked  bool // answered 200
}

func testKill9(t *testing.T, bin, db string) {
	key, rc, logs := newPartnerKey(t), newNotifyReceiver(t), &syncBuffer{}
	admin := issueAdminCLI(t, bin, db, logs)
	args := []string{"--db", db, "--notify-url", rc.srv.URL, "--notify-secret", rc.secret(),
		"--notify-lease", "1s", "--github-keys-url", key.srv.URL, "--log-level", "warn"}
	srv := startServe(t, bin, logs, args...)
	api := newAPIClient(srv.url(), admin)
	pool := issueMany(t, api, 240, "k9")

	outcomes := loadUntilKilled(t, srv, api, key, pool)
	var acked, failed int
	ackedIDs := map[string]bool{}
	for _, o := range outcomes {
		if o.acked {
			acked++
			for _, tok := range o.tokens {
				ackedIDs[tok.ID] = true
			}
		} else {
			failed++
		}
	}
	if acked == 0 {
		t.Fatalf("no batch was acknowledged before the kill\n%s", logs.Bytes())
	}

	srv2 := startServe(t, bin, logs, args...)
	api2 := newAPIClient(srv2.url(), admin)
	revoked := checkNoHalfRevoked(t, api2, pool, ackedIDs)
	waitNotified(t, rc, revoked)

	// A replay of an acknowledged batch after the restart changes nothing.
	before := len(rc.revoked())
	var replay []string
	for _, o := range outcomes {
		if o.acked {
			for _, tok := range o.tokens {
				replay = append(replay, tok.Token)
			}
			break
		}
	}
	code, out, err := api2.sendBatch(t, key, partnerBatch(t, replay, "https://github.com/octo/k9/replay"))
	if err != nil || code != http.StatusOK {
		t.Fatalf("replay after restart: %d %v %s", code, err, out)
	}
	time.Sleep(300 * time.Millisecond)
	if after := len(rc.revoked()); after != before {
		t.Errorf("replay notified %d more tokens", after-before)
	}
	t.Logf("%d batches acknowledged, %d cut by the kill; %d tokens revoked of %d; %d repeated deliveries",
		acked, failed, len(revoked), len(pool), rc.repeated())
}

// issueMany issues n user tokens over the API, 8 at a time.
func issueMany(t *testing.T, api *apiClient, n int, name string) []issued {
	t.Helper()
	out := make([]issued, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range out {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var r struct {
				ID        string `json:"id"`
				Token     string `json:"token"`
				TokenHash string `json:"token_hash"`
			}
			code, body, err := api.do("POST", "/v1/tokens", map[string]string{"owner": "alice@example.org",
				"name": fmt.Sprint(name, "-", i), "type": "user", "expires_in": "24h"}, nil)
			if err == nil && code == http.StatusCreated {
				err = json.Unmarshal(body, &r)
			} else if err == nil {
				err = fmt.Errorf("status %d: %s", code, body)
			}
			if err != nil {
				errs <- err
				return
			}
			out[i] = issued{ID: r.ID, Token: r.Token, Hash: r.TokenHash}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("issue: %v", err)
	}
	return out
}

// loadUntilKilled sends signed batches (three of our tokens, one of them
// twice, and an unknown token) from six workers while two more verify,
// and SIGKILLs srv once a third of the pool has been sent and at least
// ten batches were acknowledged.
func loadUntilKilled(t *testing.T, srv *serveProc, api *apiClient, key *partnerKey, pool []issued) []batchOutcome {
	t.Helper()
	var (
		mu       sync.Mutex
		outcomes []batchOutcome
		next     atomic.Int64
		acked    atomic.Int64
		wg       sync.WaitGroup
		stop     = make(chan struct{})
		badFeeds = make(chan string, 100)
	)
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped() {
				i := int(next.Add(3)) - 3
				if i+3 > len(pool) {
					return
				}
				chunk := pool[i : i+3]
				toks := []string{chunk[0].Token, chunk[1].Token, chunk[2].Token, chunk[0].Token, unknownToken()}
				code, out, err := api.sendBatch(t, key, partnerBatch(t, toks, fmt.Sprint("https://github.com/octo/k9/blob/main/f", i)))
				ok := err == nil && code == http.StatusOK
				if ok {
					if msg := checkFeedback(out, chunk); msg != "" {
						badFeeds <- msg
					}
					acked.Add(1)
				}
				mu.Lock()
				outcomes = append(outcomes, batchOutcome{tokens: chunk, acked: ok})
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped() {
				if _, _, err := api.verify(pool[rand.IntN(len(pool))].Token); err != nil && stopped() {
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for (acked.Load() < 10 || next.Load() < int64(len(pool)/3)) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	srv.kill9()
	close(stop)
	wg.Wait()
	close(badFeeds)
	for msg := range badFeeds {
		t.Error(msg)
	}
	return outcomes
}

// checkFeedback checks a 200 answer: one entry per distinct token (four),
// our three labelled true_positive, and no plaintext.
func checkFeedback(body []byte, ours []issued) string {
	var fb []struct {
		TokenHash string `json:"token_hash"`
		Label     string `json:"label"`
	}
	if err := json.Unmarshal(body, &fb); err != nil {
		return fmt.Sprintf("feedback %s: %v", body, err)
	}
	labels := map[string]string{}
	for _, f := range fb {
		labels[f.TokenHash] = f.Label
	}
	if len(fb) != 4 || len(labels) != 4 {
		return fmt.Sprintf("feedback has %d entries (%d distinct), want 4: %s", len(fb), len(labels), body)
	}
	for _, tok := range ours {
		if labels[tok.Hash] != "true_positive" {
			return fmt.Sprintf("token %s labelled %q", tok.ID, labels[tok.Hash])
		}
		if strings.Contains(string(body), tok.Token) {
			return "feedback contains a plaintext token"
		}
	}
	return ""
}

// checkNoHalfRevoked checks every token of the pool after the restart and
// returns the ids of the revoked ones: acknowledged ⇒ revoked; revoked ⇔
// exactly one leak_reported event, with the leak's reason.
func checkNoHalfRevoked(t *testing.T, api *apiClient, pool []issued, acked map[string]bool) map[string]bool {
	t.Helper()
	revoked := map[string]bool{}
	for _, tok := range pool {
		v, _, err := api.verify(tok.Token)
		if err != nil {
			t.Fatalf("verify after restart: %v", err)
		}
		leaks := 0
		for _, k := range api.eventKinds(t, tok.ID) {
			if k == "leak_reported" || k == "revoked" {
				leaks++
			}
		}
		switch {
		case v.Valid && acked[tok.ID]:
			t.Errorf("token %s was acknowledged with 200 but is valid after the restart", tok.ID)
		case v.Valid && leaks != 0:
			t.Errorf("token %s is half-revoked: valid with %d revocation events", tok.ID, leaks)
		case !v.Valid && leaks != 1:
			t.Errorf("token %s is invalid with %d revocation events, want 1", tok.ID, leaks)
		case !v.Valid && !strings.HasPrefix(v.InvalidReason, "leaked: github-webhook https://github.com/octo/k9/"):
			t.Errorf("token %s invalid with reason %q", tok.ID, v.InvalidReason)
		}
		if !v.Valid {
			revoked[tok.ID] = true
		}
	}
	return revoked
}

// waitNotified waits until the receiver holds a token.revoked notification
// for every revoked token, then checks that no other token was notified and
// that each revoked token has exactly one notification (one webhook-id).
func waitNotified(t *testing.T, rc *notifyReceiver, revoked map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := rc.revoked()
		missing := 0
		for id := range revoked {
			if len(got[id]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d revoked tokens were never notified", missing, len(revoked))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let stray duplicates arrive
	for id, hooks := range rc.revoked() {
		if !revoked[id] {
			t.Errorf("token %s was notified as revoked but is valid", id)
		}
		if len(hooks) != 1 {
			t.Errorf("token %s has %d distinct notifications, want 1", id, len(hooks))
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.badSig != 0 {
		t.Errorf("%d deliveries had a bad signature", rc.badSig)
	}
}
