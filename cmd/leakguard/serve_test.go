package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leakguard/leakguard/github/partnertest"
	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/webhook"
)

// receiver records Standard Webhooks deliveries.
type receiver struct {
	mu   sync.Mutex
	got  []*http.Request
	body [][]byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got, rc.body = append(rc.got, r), append(rc.body, b)
	rc.mu.Unlock()
}

// waitFor returns the first delivery whose body contains want.
func (rc *receiver) waitFor(t *testing.T, want []byte) (*http.Request, []byte) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		rc.mu.Lock()
		for i, b := range rc.body {
			if bytes.Contains(b, want) {
				defer rc.mu.Unlock()
				return rc.got[i], b
			}
		}
		rc.mu.Unlock()
	}
	t.Fatalf("no delivery with %s in time", want)
	return nil, nil
}

// TestServeEndToEnd runs the whole loop on the embedded store: issue over
// HTTP, a signed GitHub batch, verify refusing with the leak's reason,
// events, and the signed notification at the receiver; then a graceful
// shutdown that leaves no goroutine behind.
func TestServeEndToEnd(t *testing.T) {
	leakOpt := goleak.IgnoreCurrent()
	key := partnertest.NewKey(t, "e2e")
	keys := partnertest.ServeKeys(t, key)
	rc := &receiver{}
	notify := httptest.NewServer(rc)
	secretKey := bytes.Repeat([]byte{7}, 32)

	tr := &http.Transport{}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	m := NewMain()
	m.Addr, m.DB = "127.0.0.1:0", "sqlite:"+filepath.Join(t.TempDir(), "lg.db")
	m.GitHubKeysURL, m.HTTPClient = keys.URL, client
	m.NotifyURL, m.NotifySecret = notify.URL, "whsec_"+base64.StdEncoding.EncodeToString(secretKey)
	m.Policy = lifecycle.Policy{DefaultExpiry: 24 * time.Hour, MaxExpiry: 48 * time.Hour}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin, err := m.Manager.Issue(context.Background(), lifecycle.IssueRequest{Owner: "ops", Name: "admin",
		Type: patterns.TypeAdmin, Actor: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string, hdr map[string]string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, m.URL()+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	auth := map[string]string{"Authorization": "Bearer " + admin.Secret.Reveal()}

	code, body := call("POST", "/v1/tokens", `{"owner":"alice@example.org","name":"laptop"}`, auth)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created struct{ ID, Token string }
	_ = json.Unmarshal(body, &created)

	url := "https://github.com/octo/repo/blob/0123abc/.env"
	batch := []byte(fmt.Sprintf(`[{"token":%q,"type":"leakguard_user","url":%q,"source":"content"}]`, created.Token, url))
	code, body = call("POST", "/v1/github/secret-scanning", string(batch), map[string]string{
		"Github-Public-Key-Identifier": key.ID, "Github-Public-Key-Signature": key.Sign(t, batch)})
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"label":"true_positive"`)) {
		t.Fatalf("partner batch: %d %s", code, body)
	}
	reason := "leaked: github-webhook " + url
	code, body = call("POST", "/v1/tokens/verify", `{"token":"`+created.Token+`"}`, auth)
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"valid":false`)) || !bytes.Contains(body, []byte(reason)) {
		t.Fatalf("verify: %d %s", code, body)
	}
	code, body = call("GET", "/v1/tokens/"+created.ID+"/events", "", auth)
	if code != http.StatusOK || !bytes.Contains(body, []byte("leak_reported")) {
		t.Fatalf("events: %d %s", code, body)
	}

	req, nb := rc.waitFor(t, []byte(`"type":"token.revoked"`))
	h := req.Header
	ts, _ := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if !webhook.VerifySignature(secretKey, h.Get("webhook-id"), ts, nb, h.Get("webhook-signature")) {
		t.Error("notification signature does not verify")
	}
	if !bytes.Contains(nb, []byte(reason)) || bytes.Contains(nb, []byte(created.Token)) {
		t.Errorf("notification body = %s", nb)
	}
	hint := `"rotate":{"command":"leakguard token rotate --id ` + created.ID + `","route":"POST /v1/tokens/` + created.ID + `/rotate"}`
	if !bytes.Contains(nb, []byte(hint)) {
		t.Errorf("leak notification body = %s, want the rotate hint %s", nb, hint)
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	keys.Close()
	notify.Close()
	tr.CloseIdleConnections()
	goleak.VerifyNone(t, leakOpt)
}

// TestServeShutdownDrains checks that Close lets an in-flight request
// finish and that the server is gone afterwards.
func TestServeShutdownDrains(t *testing.T) {
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"public_keys":[]}`)
	}))
	defer keys.Close()
	m := NewMain()
	m.Addr, m.DB = "127.0.0.1:0", "sqlite:"+filepath.Join(t.TempDir(), "lg.db")
	m.GitHubKeysURL = keys.URL
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", m.URL()+"/v1/github/secret-scanning", pr)
	req.Header.Set("Github-Public-Key-Identifier", "k")
	req.Header.Set("Github-Public-Key-Signature", "MAYCAQECAQE=")
	got := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	_, _ = io.WriteString(pw, `[{"token":`)
	time.Sleep(100 * time.Millisecond) // the request is in flight
	closed := make(chan error, 1)
	go func() { closed <- m.Close() }()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) before the in-flight request finished", err)
	default:
	}
	_, _ = io.WriteString(pw, `"x"}]`)
	pw.Close()
	// The unknown key id is refused: what matters is that an answer came.
	if code := <-got; code != http.StatusServiceUnavailable && code != http.StatusUnauthorized {
		t.Fatalf("in-flight request got %d", code)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	http.DefaultClient.CloseIdleConnections()
	if _, err := http.Get(m.URL() + "/healthz"); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func TestServeFlags(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	sio := IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
		Getenv: func(string) string { return "" }, Now: time.Now}
	tests := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"--nope"}},
		{"bad expiry", []string{"--default-expiry", "soon"}},
		{"never without allow", []string{"--default-expiry", "never"}},
		{"notify url without secret", []string{"--notify-url", "http://127.0.0.1:1", "--addr", "127.0.0.1:0", "--db", "sqlite:" + filepath.Join(t.TempDir(), "x.db")}},
		{"positional argument", []string{"extra"}},
	}
	for _, tc := range tests {
		if code := Run(context.Background(), append([]string{"serve"}, tc.args...), sio); code != exitFail {
			t.Errorf("%s: exit %d, want %d", tc.name, code, exitFail)
		}
	}
}

// TestServeReadyzWithRedis checks that /readyz reports the Redis cache.
func TestServeReadyzWithRedis(t *testing.T) {
	url := testenv.RedisURL(t)
	m := NewMain()
	m.Addr, m.DB, m.Redis = "127.0.0.1:0", "sqlite:"+filepath.Join(t.TempDir(), "lg.db"), url
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	resp, err := http.Get(m.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"redis":"ok"`)) {
		t.Fatalf("readyz = %d %s", resp.StatusCode, b)
	}
}

// lockedBuffer is a bytes.Buffer safe for a server's logs and a reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testNotifySecret is a valid --notify-secret.
var testNotifySecret = "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))

// TestServeRefusesBadNotifyURL checks that serve stops with exit 2 and a
// message naming the flag before it opens the store or listens, instead of
// starting and failing every delivery later.
func TestServeRefusesBadNotifyURL(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"file":            "file:///var/spool/events",
		"typo scheme":     "htp:/hooks.example.org",
		"not a url":       "not a url",
		"http remote":     "http://hooks.example.org/leakguard",
		"credentials":     "https://user:hunter2@hooks.example.org/leakguard",
		"no host":         "https:///leakguard",
		"relative":        "/leakguard",
		"scheme-relative": "//hooks.example.org/leakguard",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "lg.db")
			var stderr lockedBuffer
			sio := IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
				Getenv: func(string) string { return "" }, Now: time.Now}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			args := []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + db,
				"--notify-url", raw, "--notify-secret", testNotifySecret}
			if code := Run(ctx, args, sio); code != exitFail {
				t.Errorf("exit %d, want %d", code, exitFail)
			}
			out := stderr.String()
			if !strings.Contains(out, "--notify-url") || strings.Contains(out, "leakguard serving") {
				t.Errorf("stderr = %q, want a --notify-url message and no server", out)
			}
			if strings.Contains(out, "hunter2") || strings.Contains(out, testNotifySecret) {
				t.Errorf("stderr = %q shows a secret", out)
			}
			if _, err := os.Stat(db); !os.IsNotExist(err) {
				t.Errorf("the store was opened before the URL was checked (stat: %v)", err)
			}
		})
	}
}

// TestServeWarnsAboutSecretOnCommandLine checks that a --notify-secret
// given on the command line, where ps shows it, draws a warning without
// the secret, and that its environment twin does not.
func TestServeWarnsAboutSecretOnCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantWarn bool
	}{
		{"flag", []string{"--notify-secret", testNotifySecret}, nil, true},
		{"environment", nil, map[string]string{"LEAKGUARD_NOTIFY_SECRET": testNotifySecret}, false},
		{"both", []string{"--notify-secret", testNotifySecret}, map[string]string{"LEAKGUARD_NOTIFY_SECRET": "whsec_bm90IHVzZWQ="}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			notify := httptest.NewServer(&receiver{})
			defer notify.Close()
			var stderr lockedBuffer
			sio := IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
				Getenv: func(k string) string { return tc.env[k] }, Now: time.Now}
			args := append([]string{"serve", "--addr", "127.0.0.1:0",
				"--db", "sqlite:" + filepath.Join(t.TempDir(), "lg.db"), "--notify-url", notify.URL}, tc.args...)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			go func() { done <- Run(ctx, args, sio) }()
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "leakguard serving"); {
				if time.Now().After(deadline) {
					t.Fatalf("serve did not start; stderr:\n%s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			if code := <-done; code != exitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr.String())
			}
			out := stderr.String()
			if got := strings.Contains(out, "LEAKGUARD_NOTIFY_SECRET"); got != tc.wantWarn {
				t.Errorf("warning about the command-line secret: %v, want %v; stderr:\n%s", got, tc.wantWarn, out)
			}
			if strings.Contains(out, testNotifySecret) || strings.Contains(out, strings.TrimPrefix(testNotifySecret, "whsec_")) {
				t.Errorf("stderr shows the secret:\n%s", out)
			}
		})
	}
}
