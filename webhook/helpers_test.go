package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/github/partnertest"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/revoker/resolvertest"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
	"github.com/leakguard/leakguard/webhook"
)

// countingStore counts the calls that read or write tokens.
type countingStore struct {
	store.Store
	calls atomic.Int64
}

func (c *countingStore) TokenByHash(ctx context.Context, h string) (*store.Token, error) {
	c.calls.Add(1)
	return c.Store.TokenByHash(ctx, h)
}

func (c *countingStore) TokenByID(ctx context.Context, id string) (*store.Token, error) {
	c.calls.Add(1)
	return c.Store.TokenByID(ctx, id)
}

func (c *countingStore) Revoke(ctx context.Context, r store.RevokeRequest) (*store.Token, bool, error) {
	c.calls.Add(1)
	return c.Store.Revoke(ctx, r)
}

func (c *countingStore) CreateToken(ctx context.Context, t *store.Token, ev store.Event) error {
	c.calls.Add(1)
	return c.Store.CreateToken(ctx, t, ev)
}

func (c *countingStore) ListTokens(ctx context.Context, f store.ListFilter) ([]*store.Token, error) {
	c.calls.Add(1)
	return c.Store.ListTokens(ctx, f)
}

// keyServer serves a key list at an httptest URL and counts fetches.
type keyServer struct {
	mu    sync.Mutex
	keys  map[string]string // id → PEM
	hits  atomic.Int64
	delay time.Duration
	fail  atomic.Bool
	srv   *httptest.Server
}

func newKeyServer(t testing.TB) *keyServer {
	t.Helper()
	ks := &keyServer{keys: map[string]string{}}
	ks.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		ks.hits.Add(1)
		time.Sleep(ks.delay)
		if ks.fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		ks.mu.Lock()
		defer ks.mu.Unlock()
		type entry struct {
			ID      string `json:"key_identifier"`
			Key     string `json:"key"`
			Current bool   `json:"is_current"`
		}
		var list struct {
			Keys []entry `json:"public_keys"`
		}
		for id, k := range ks.keys {
			list.Keys = append(list.Keys, entry{id, k, true})
		}
		_ = json.NewEncoder(w).Encode(list)
	}))
	t.Cleanup(ks.srv.Close)
	return ks
}

func (ks *keyServer) add(id, pemKey string) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys[id] = pemKey
}

// signer is a test ECDSA P-256 key registered at the key server.
type signer = partnertest.Key

func newSigner(t testing.TB, ks *keyServer, id string) *signer {
	t.Helper()
	k := partnertest.NewKey(t, id)
	ks.add(id, k.PEM)
	return k
}

// env is a server over a real SQLite store.
type env struct {
	st     *countingStore
	raw    store.Store
	mgr    *lifecycle.Manager
	srv    *webhook.Server
	ts     *httptest.Server
	keys   *keyServer
	signer *signer
	admin  patterns.Secret
}

func newEnv(t testing.TB, mod func(*webhook.Config)) *env {
	t.Helper()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{raw: raw, st: &countingStore{Store: raw}, keys: newKeyServer(t)}
	t.Cleanup(func() { _ = raw.Close() })
	cat := patterns.Default()
	e.mgr = lifecycle.New(e.st, cat, lifecycle.Options{Logger: zerolog.Nop(),
		Policy: lifecycle.Policy{DefaultExpiry: 24 * time.Hour, MaxExpiry: 48 * time.Hour}})
	t.Cleanup(func() { _ = e.mgr.Close() })
	e.signer = newSigner(t, e.keys, "test-key-1")
	cfg := webhook.Config{
		Manager: e.mgr, Revoker: revoker.New(e.st, cat, revoker.Options{}),
		Senders:    []webhook.Sender{webhook.GitHubSender(e.keys.srv.URL + "/meta/public_keys/secret_scanning")},
		HTTPClient: e.keys.srv.Client(), Logger: zerolog.Nop(),
	}
	if mod != nil {
		mod(&cfg)
	}
	e.srv, err = webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	e.admin = e.issue(t, patterns.TypeAdmin)
	return e
}

// issue mints a token directly through the Manager.
func (e *env) issue(t testing.TB, typ string) patterns.Secret {
	t.Helper()
	iss, err := e.mgr.Issue(context.Background(), lifecycle.IssueRequest{Owner: "alice@example.org",
		Name: "test " + typ, Type: typ, Actor: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return iss.Secret
}

// post sends a partner batch with the given key id and signature headers.
func (e *env) post(t testing.TB, body []byte, keyID, sig string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", e.ts.URL+"/v1/github/secret-scanning", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if keyID != "" {
		req.Header.Set("GITHUB-PUBLIC-KEY-IDENTIFIER", keyID)
	}
	if sig != "" {
		req.Header.Set("github-public-key-signature", sig)
	}
	return e.do(t, req)
}

// postSigned sends a batch signed with the env's test key.
func (e *env) postSigned(t testing.TB, body []byte) (*http.Response, []byte) {
	t.Helper()
	return e.post(t, body, e.signer.ID, e.signer.Sign(t, body))
}

// api calls the token API with a bearer token (none if zero).
func (e *env) api(t testing.TB, method, path string, bearer patterns.Secret, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if !bearer.IsZero() {
		req.Header.Set("Authorization", "Bearer "+bearer.Reveal())
	}
	return e.do(t, req)
}

func (e *env) do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// token is the stored record of the token with that hash.
func (e *env) token(t testing.TB, hash string) *store.Token {
	t.Helper()
	tok, err := e.raw.TokenByHash(context.Background(), hash)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// events is the audit trail of the token with that hash, in the
// conformance suites' terms.
func (e *env) events(t testing.TB, hash string) []resolvertest.Event {
	t.Helper()
	evs, err := e.raw.Events(context.Background(), e.token(t, hash).ID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]resolvertest.Event, len(evs))
	for i, ev := range evs {
		out[i] = resolvertest.Event{Kind: string(ev.Kind), Actor: ev.Actor, Source: ev.Source, Detail: ev.Detail}
	}
	return out
}

// outbox returns every notification waiting in the outbox.
func (e *env) outbox(t testing.TB) []store.Notification {
	t.Helper()
	ns, err := e.raw.ClaimNotifications(context.Background(), time.Now().Add(time.Hour), 1000, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// batch builds a partner payload.
func batch(t testing.TB, items ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func item(tok, url string) map[string]any {
	return map[string]any{"token": tok, "type": "leakguard_api_token", "url": url, "source": "content"}
}

func wantStatus(t testing.TB, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, want, body)
	}
}

func errorCode(t testing.TB, body []byte) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error body: %s", body)
	}
	return e.Error.Code
}

// webhookConfig abbreviates webhook.Config in test modifiers.
type webhookConfig = webhook.Config

func storeFilter() store.ListFilter { return store.ListFilter{} }

type ctxt = context.Context

// zerologTo is a logger writing JSON lines to w.
func zerologTo(w io.Writer) zerolog.Logger { return zerolog.New(&lockedWriter{w: w}) }

// lockedWriter serialises writes from concurrent requests.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
