package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakguard/leakguard/github/partnertest"
	"github.com/leakguard/leakguard/internal/testenv"
)

// The reliability suite (issue 5) runs the real binary as a child process
// so that it can be killed with SIGKILL, and real Redis and PostgreSQL
// servers. Every process it starts it stops by PID.

// partnerKey is a test partner signing key served at its own keys URL.
type partnerKey struct {
	*partnertest.Key
	srv *httptest.Server
}

func newPartnerKey(t testing.TB) *partnerKey {
	t.Helper()
	k := partnertest.NewKey(t, "reliability-key")
	return &partnerKey{Key: k, srv: partnertest.ServeKeys(t, k)}
}

// partnerItem is one entry of a GitHub secret-scanning batch.
type partnerItem struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// partnerBatch encodes items as a batch body.
func partnerBatch(t testing.TB, tokens []string, url string) []byte {
	t.Helper()
	items := make([]partnerItem, len(tokens))
	for i, tok := range tokens {
		items[i] = partnerItem{Token: tok, Type: "leakguard_api_token", URL: url, Source: "content"}
	}
	b, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// notice is one token.revoked/token.expiring delivery as received.
type notice struct {
	WebhookID string
	Type      string
	TokenID   string
	Reason    string
}

// notifyReceiver is the --notify-url endpoint: it checks each delivery's
// Standard Webhooks signature and records it; receivers deduplicate by
// webhook-id, so repeats are counted but not treated as new.
type notifyReceiver struct {
	key []byte
	srv *httptest.Server

	mu      sync.Mutex
	byID    map[string]notice
	repeats int
	badSig  int
	bodies  [][]byte
}

func newNotifyReceiver(t testing.TB) *notifyReceiver {
	t.Helper()
	r := &notifyReceiver{key: bytes.Repeat([]byte{42}, 32), byID: map[string]notice{}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

// secret is the whsec_ secret for --notify-secret.
func (r *notifyReceiver) secret() string {
	return "whsec_" + base64.StdEncoding.EncodeToString(r.key)
}

func (r *notifyReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get("webhook-id")
	ts, _ := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
	want := signStandardWebhook(r.key, id, ts, body)
	var p struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
		Token  struct {
			ID string `json:"id"`
		} `json:"token"`
	}
	_ = json.Unmarshal(body, &p)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, body)
	if !strings.Contains(" "+req.Header.Get("webhook-signature")+" ", " "+want+" ") {
		r.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if _, seen := r.byID[id]; seen {
		r.repeats++
		return
	}
	r.byID[id] = notice{WebhookID: id, Type: p.Type, TokenID: p.Token.ID, Reason: p.Reason}
}

// signStandardWebhook is the receiver's own implementation of the
// signature scheme (not the server's), so a mistake on either side shows.
func signStandardWebhook(key []byte, id string, ts int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(key, []byte(id+"."+strconv.FormatInt(ts, 10)+"."), body))
}

// hmacSHA256 is HMAC-SHA256 of the concatenated parts.
func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// revoked returns, per token id, the distinct webhook-ids of its
// token.revoked notifications.
func (r *notifyReceiver) revoked() map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for id, n := range r.byID {
		if n.Type == "token.revoked" {
			out[n.TokenID] = append(out[n.TokenID], id)
		}
	}
	return out
}

// repeated is how many deliveries repeated a webhook-id already received.
func (r *notifyReceiver) repeated() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.repeats
}

// allBodies returns every delivered body.
func (r *notifyReceiver) allBodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

// syncBuffer is a bytes.Buffer safe for a child's stderr and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// serveProc is a `leakguard serve` child process.
type serveProc struct {
	t    testing.TB
	cmd  *exec.Cmd
	addr string
	logs *syncBuffer
	done chan struct{}
}

// startServe runs `bin serve args...` on a free loopback port, its stderr
// appended to logs, and waits until /healthz answers. The process is
// stopped (SIGTERM, then SIGKILL) when the test ends if still running.
func startServe(t testing.TB, bin string, logs *syncBuffer, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{t: t, addr: "127.0.0.1:" + testenv.FreePort(t), logs: logs, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", p.addr}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = logs, logs
	p.cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir())
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.done:
			t.Fatalf("serve exited during start-up: %s\n%s", p.cmd.ProcessState, logs.Bytes())
		default:
		}
		resp, err := http.Get(p.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not healthy in time: %v\n%s", err, logs.Bytes())
		}
	}
}

// url is the server's base URL.
func (p *serveProc) url() string { return "http://" + p.addr }

// kill9 sends SIGKILL to this child and waits until it is gone.
func (p *serveProc) kill9() {
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM to this child (graceful drain) and waits for it,
// killing it if it takes longer than 10 s.
func (p *serveProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Errorf("serve did not stop on SIGTERM within 10 s")
		p.kill9()
	}
}

// issueAdminCLI runs `bin token issue --type admin` against db and returns
// the plaintext printed on stdout.
func issueAdminCLI(t testing.TB, bin, db string, logs *syncBuffer) string {
	t.Helper()
	cmd := exec.Command(bin, "token", "issue", "--db", db, "--owner", "ops@example.org", "--name", "reliability admin", "--type", "admin")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, logs
	if err := cmd.Run(); err != nil {
		t.Fatalf("token issue --type admin: %v\n%s", err, logs.Bytes())
	}
	return strings.TrimSpace(out.String())
}

// apiClient calls a serve process's HTTP API with a bearer token and can
// keep every response body (for the canary search).
type apiClient struct {
	base, bearer string
	hc           *http.Client

	mu     sync.Mutex
	bodies [][]byte // every response body, if keep
	keep   bool
}

func newAPIClient(base, bearer string) *apiClient {
	return &apiClient{base: base, bearer: bearer, hc: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64},
	}}
}

// do sends one request (body JSON-encoded unless it is []byte) and returns
// the status and body. hdr adds headers.
func (c *apiClient) do(method, path string, body any, hdr map[string]string) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if c.keep {
		c.mu.Lock()
		c.bodies = append(c.bodies, out)
		c.mu.Unlock()
	}
	return resp.StatusCode, out, err
}

// must is do that fails the test unless the status is want; it decodes
// the body into v when v is not nil.
func (c *apiClient) must(t testing.TB, want int, method, path string, body, v any) []byte {
	t.Helper()
	code, out, err := c.do(method, path, body, nil)
	if err != nil || code != want {
		t.Fatalf("%s %s: %d %v: %s", method, path, code, err, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
	return out
}

// issued is a token created through POST /v1/tokens.
type issued struct {
	ID, Token, Hash string
}

// issue creates a token over the API.
func (c *apiClient) issue(t testing.TB, typ, name string) issued {
	t.Helper()
	var r struct {
		ID        string `json:"id"`
		Token     string `json:"token"`
		TokenHash string `json:"token_hash"`
	}
	c.must(t, http.StatusCreated, "POST", "/v1/tokens",
		map[string]string{"owner": "alice@example.org", "name": name, "type": typ, "expires_in": "24h"}, &r)
	if r.ID == "" || r.Token == "" {
		t.Fatalf("issue: empty id or token")
	}
	return issued{ID: r.ID, Token: r.Token, Hash: r.TokenHash}
}

// verifyAnswer is the body of POST /v1/tokens/verify.
type verifyAnswer struct {
	Valid         bool   `json:"valid"`
	ID            string `json:"id"`
	InvalidReason string `json:"invalid_reason"`
	Message       string `json:"message"`
}

// verify asks whether tok is valid.
func (c *apiClient) verify(tok string) (verifyAnswer, int, error) {
	var v verifyAnswer
	code, out, err := c.do("POST", "/v1/tokens/verify", map[string]string{"token": tok}, nil)
	if err != nil {
		return v, code, err
	}
	if code != http.StatusOK {
		return v, code, fmt.Errorf("verify: status %d: %s", code, out)
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return v, code, fmt.Errorf("verify: decode %s: %w", out, err)
	}
	return v, code, nil
}

// sendBatch posts a signed partner batch and returns status and body.
func (c *apiClient) sendBatch(t testing.TB, key *partnerKey, body []byte) (int, []byte, error) {
	t.Helper()
	return c.do("POST", "/v1/github/secret-scanning", body, map[string]string{
		"Github-Public-Key-Identifier": key.ID, "Github-Public-Key-Signature": key.Sign(t, body)})
}

// eventKinds returns the kinds in a token's audit trail.
func (c *apiClient) eventKinds(t testing.TB, id string) []string {
	t.Helper()
	var r struct {
		Events []struct{ Kind string } `json:"events"`
	}
	c.must(t, http.StatusOK, "GET", "/v1/tokens/"+id+"/events", nil, &r)
	kinds := make([]string, len(r.Events))
	for i, e := range r.Events {
		kinds[i] = e.Kind
	}
	return kinds
}
