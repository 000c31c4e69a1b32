package revoker_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
)

// testStore is a real SQLite store in t.TempDir() that counts the
// revoker's calls and, once fail is set, fails them. Embedding the
// interface hides the adapter's optional store.BatchGetter.
type testStore struct {
	store.Store
	t     *testing.T
	calls atomic.Int64
	fail  error // set before the revoker runs
}

// newTestStore opens an empty store, closed when the test ends.
func newTestStore(t *testing.T) *testStore {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &testStore{Store: st, t: t}
}

func (m *testStore) TokenByHash(ctx context.Context, hash string) (*store.Token, error) {
	m.calls.Add(1)
	if m.fail != nil {
		return nil, m.fail
	}
	return m.Store.TokenByHash(ctx, hash)
}

func (m *testStore) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	m.calls.Add(1)
	if m.fail != nil {
		return nil, false, m.fail
	}
	return m.Store.Revoke(ctx, req)
}

// invalidations returns the revoked and leak_reported events of every
// token in the store.
func (m *testStore) invalidations() []store.Event {
	m.t.Helper()
	ctx := context.Background()
	ts, err := m.Store.ListTokens(ctx, store.ListFilter{})
	if err != nil {
		m.t.Fatal(err)
	}
	var out []store.Event
	for _, tok := range ts {
		evs, err := m.Store.Events(ctx, tok.ID)
		if err != nil {
			m.t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind == store.EventRevoked || e.Kind == store.EventLeakReported {
				out = append(out, e)
			}
		}
	}
	return out
}

// outbox returns the notifications in the outbox (claiming them).
func (m *testStore) outbox() []store.Notification {
	m.t.Helper()
	ns, err := m.Store.ClaimNotifications(context.Background(), time.Now().Add(24*time.Hour), 1000, time.Hour)
	if err != nil {
		m.t.Fatal(err)
	}
	return ns
}

// issue stores a token of typ, with its expiry if one is given, and
// returns its plaintext.
func issue(t *testing.T, m *testStore, typ string, expires ...time.Time) patterns.Secret {
	t.Helper()
	f, ok := patterns.Default().Issued(typ)
	if !ok {
		t.Fatalf("no issued format for %s", typ)
	}
	s, err := f.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := store.RandomID("tok_")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	tok := &store.Token{ID: id, Hash: s.Hash(), Type: typ, FormatID: f.ID, Owner: "o", Name: "n",
		Last4: s.Last4(), Valid: true, CreatedAt: now.Add(-2 * time.Hour)}
	if len(expires) > 0 {
		tok.ExpiresAt = &expires[0]
	}
	if err := m.Store.CreateToken(context.Background(), tok, store.Event{Kind: store.EventIssued, At: tok.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRevokeOutcomes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := newTestStore(t)
	r := revoker.New(m, patterns.Default(), revoker.Options{})
	active := issue(t, m, patterns.TypeUser)
	unknownOurs, _ := patterns.Default().Issued(patterns.TypeUser)
	neverIssued, _ := unknownOurs.Generate(nil)
	ghp, _ := patterns.Default().ByID("github-pat")
	vendor := patterns.NewSecret(ghp.WithChecksum("ghp_", strings.Repeat("a", 30)))

	tests := []struct {
		name    string
		rep     revoker.Report
		status  revoker.Status
		ours    bool
		revoked bool
	}{
		{"active token is revoked", revoker.Report{Secret: active, Source: "file", Path: "a.txt", Line: 3}, revoker.StatusRevoked, true, true},
		{"second report is already revoked", revoker.Report{Secret: active, Source: "file"}, revoker.StatusAlreadyRevoked, true, false},
		{"by hash too", revoker.Report{Hash: strings.ToUpper(active.Hash()), Source: "file"}, revoker.StatusAlreadyRevoked, true, false},
		{"our format never issued", revoker.Report{Secret: neverIssued, Source: "file"}, revoker.StatusUnknown, false, false},
		{"vendor token is not ours", revoker.Report{Secret: vendor, Source: "file"}, revoker.StatusNotOurs, false, false},
		{"bad checksum is not ours", revoker.Report{Secret: patterns.NewSecret("lgu_" + strings.Repeat("a", 36)), Source: "file"}, revoker.StatusNotOurs, false, false},
	}
	for _, tc := range tests {
		res, err := r.Revoke(ctx, tc.rep)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.Status != tc.status || res.Ours != tc.ours || res.Revoked != tc.revoked {
			t.Errorf("%s: got %+v, want status %s ours %v revoked %v", tc.name, res, tc.status, tc.ours, tc.revoked)
		}
	}
	if got, want := len(m.outbox()), 1; got != want {
		t.Fatalf("outbox = %d, want %d", got, want)
	}
	evs := m.invalidations()
	if got, want := len(evs), 1; got != want {
		t.Fatalf("revocation events = %d, want %d", got, want)
	}
	if got, want := evs[0].Kind, store.EventLeakReported; got != want {
		t.Errorf("event kind = %s, want %s", got, want)
	}
	if got, want := evs[0].Detail, "leaked: file a.txt:3"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
}

func TestNotOursMakesNoStoreCall(t *testing.T) {
	t.Parallel()
	m := newTestStore(t)
	r := revoker.New(m, patterns.Default(), revoker.Options{})
	res, err := r.Revoke(context.Background(), revoker.Report{Secret: patterns.NewSecret("some_token"), Source: "x"})
	if err != nil || res.Status != revoker.StatusNotOurs {
		t.Fatalf("got %+v, %v", res, err)
	}
	if got := m.calls.Load(); got != 0 {
		t.Errorf("store calls = %d, want 0", got)
	}
	if _, err := r.Revoke(context.Background(), revoker.Report{Hash: "nothex"}); !errors.Is(err, revoker.ErrNoToken) {
		t.Errorf("bad hash: err = %v, want ErrNoToken", err)
	}
}

func TestStoreFailureIsReported(t *testing.T) {
	t.Parallel()
	m := newTestStore(t)
	s := issue(t, m, patterns.TypeService)
	m.fail = store.ErrUnavailable
	r := revoker.New(m, patterns.Default(), revoker.Options{})
	_, err := r.Resolve(context.Background(), []revoker.Report{{Secret: s, Source: "x"}}, true)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), s.Reveal()) {
		t.Fatal("error contains the plaintext token")
	}
}

func TestConcurrentReportsRevokeOnce(t *testing.T) {
	t.Parallel()
	m := newTestStore(t)
	s := issue(t, m, patterns.TypeUser)
	r := revoker.New(m, patterns.Default(), revoker.Options{Workers: 4})
	reps := make([]revoker.Report, 50)
	for i := range reps {
		reps[i] = revoker.Report{Secret: s, Source: "github-webhook", URL: "https://example.org/x"}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Resolve(context.Background(), reps, true); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if out, evs := m.outbox(), m.invalidations(); len(out) != 1 || len(evs) != 1 {
		t.Fatalf("outbox %d events %d, want 1 and 1", len(out), len(evs))
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	sec := patterns.NewSecret("lgu_SECRETVALUE")
	tests := []struct {
		name string
		rep  revoker.Report
		want string
	}{
		{"url", revoker.Report{Source: "github-webhook", URL: "https://github.com/o/r/blob/x/a.txt"}, "leaked: github-webhook https://github.com/o/r/blob/x/a.txt"},
		{"path and line", revoker.Report{Source: "git", Path: "src/app.py", Line: 12}, "leaked: git src/app.py:12"},
		{"path only", revoker.Report{Source: "file", Path: "a"}, "leaked: file a"},
		{"path, line and commit", revoker.Report{Source: "git", Path: "a.go", Line: 3, Commit: "0123abcd"}, "leaked: git a.go:3 commit 0123abcd"},
		{"url wins over commit", revoker.Report{Source: "git", URL: "https://h/x", Path: "a.go", Commit: "0123abcd"}, "leaked: git https://h/x"},
		{"commit only", revoker.Report{Source: "git", Commit: "0123abcd"}, "leaked: git commit 0123abcd"},
		{"nothing", revoker.Report{}, "leaked: unknown"},
		{"control chars", revoker.Report{Source: "x", URL: "a\nb\x00c"}, "leaked: x abc"},
		{"token in url is redacted", revoker.Report{Secret: sec, Source: "x", URL: "https://h/?t=lgu_SECRETVALUE"}, "leaked: x https://h/?t=" + patterns.Redacted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := revoker.Reason(tc.rep); got != tc.want {
				t.Errorf("Reason = %q, want %q", got, tc.want)
			}
		})
	}
	long := revoker.Reason(revoker.Report{Source: "x", URL: strings.Repeat("é", 1000)})
	if len(long) > 600 {
		t.Errorf("long reason has %d bytes", len(long))
	}
}

// TestImportsNoHTTPOrRedis keeps the dependency direction: the revoker
// knows stores only through its own interface.
func TestImportsNoHTTPOrRedis(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/leakguard/leakguard/revoker").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net/http" || strings.Contains(dep, "redis") || strings.HasPrefix(dep, "github.com/leakguard/leakguard/webhook") ||
			strings.HasPrefix(dep, "github.com/leakguard/leakguard/store/") {
			t.Errorf("revoker depends on %s", dep)
		}
	}
}

// settlingStore is a testStore that is a store.Settler, recording what the
// revoker asked of it.
type settlingStore struct {
	*testStore
	deferred, waited atomic.Int64 // Revoke calls with / without DeferSettle
	settles          atomic.Int64
}

func (s *settlingStore) Revoke(ctx context.Context, req store.RevokeRequest) (*store.Token, bool, error) {
	if req.DeferSettle {
		s.deferred.Add(1)
	} else {
		s.waited.Add(1)
	}
	return s.testStore.Revoke(ctx, req)
}

func (s *settlingStore) Settle(context.Context) error { s.settles.Add(1); return nil }

// TestResolveDefersAndSettlesOnce: on a store.Settler (the Redis near
// cache) a batch defers every commit wait and settles once at the end; a
// single Revoke does not defer (the store waits inline).
func TestResolveDefersAndSettlesOnce(t *testing.T) {
	t.Parallel()
	st := &settlingStore{testStore: newTestStore(t)}
	reps := make([]revoker.Report, 10)
	for i := range reps {
		reps[i] = revoker.Report{Secret: issue(t, st.testStore, patterns.TypeUser), Source: "github-webhook"}
	}
	r := revoker.New(st, patterns.Default(), revoker.Options{Workers: 4})
	if _, err := r.Resolve(context.Background(), reps[:9], true); err != nil {
		t.Fatal(err)
	}
	if d, w, s := st.deferred.Load(), st.waited.Load(), st.settles.Load(); d != 9 || w != 0 || s != 1 {
		t.Fatalf("batch: %d deferred, %d waiting revokes, %d settles; want 9, 0, 1", d, w, s)
	}
	if _, err := r.Revoke(context.Background(), reps[9]); err != nil {
		t.Fatal(err)
	}
	if d, w, s := st.deferred.Load(), st.waited.Load(), st.settles.Load(); d != 9 || w != 1 || s != 1 {
		t.Fatalf("single: %d deferred, %d waiting revokes, %d settles; want 9, 1, 1", d, w, s)
	}
}

// TestAlreadyRevokedStillSettles: a report of a token the look-up already
// shows revoked goes through Revoke on a store.Settler (which writes
// nothing there but waits out the near caches' leases of a revocation
// another process made a moment ago), and makes no Revoke call on other
// stores. A token merely past its expiry is never revoked.
func TestAlreadyRevokedStillSettles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, settling := range []bool{true, false} {
		m := newTestStore(t)
		s := issue(t, m, patterns.TypeUser)
		if _, _, err := m.Revoke(ctx, store.RevokeRequest{Hash: s.Hash(), Reason: "earlier", Actor: "x", At: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
		expired := issue(t, m, patterns.TypeService, time.Now().UTC().Truncate(time.Microsecond).Add(-time.Hour))
		var st revoker.Store = m
		ss := &settlingStore{testStore: m}
		if settling {
			st = ss
		}
		r := revoker.New(st, patterns.Default(), revoker.Options{})
		res, err := r.Revoke(ctx, revoker.Report{Secret: s, Source: "file"})
		if err != nil || res.Status != revoker.StatusAlreadyRevoked {
			t.Fatalf("settling=%v: %+v, %v; want already_revoked", settling, res, err)
		}
		res, err = r.Revoke(ctx, revoker.Report{Secret: expired, Source: "file"})
		if err != nil || res.Status != revoker.StatusExpired || res.Revoked {
			t.Fatalf("settling=%v, expired token: %+v, %v; want expired, not revoked", settling, res, err)
		}
		if got := ss.waited.Load(); settling && got != 1 {
			t.Errorf("settling store: %d Revoke calls; want 1 (the revoked token only)", got)
		}
		if got := m.invalidations(); !settling && len(got) != 1 {
			t.Errorf("plain store: %d events; want only the earlier revocation", len(got))
		}
	}
}
