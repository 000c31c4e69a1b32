package webhook_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leakguard/leakguard/webhook"
)

// TestMain fails the package if any test leaves a goroutine behind (servers,
// key fetches, the manager's background writer).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.postSigned(t, []byte(`[]`))
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, body := e.api(t, "GET", path, e.admin, "")
		wantStatus(t, resp, body, http.StatusOK)
	}
	resp, body := e.api(t, "GET", "/metrics", e.admin, "")
	wantStatus(t, resp, body, http.StatusOK)
	for _, m := range []string{"leakguard_partner_batches_total", "leakguard_partner_key_fetches_total",
		"leakguard_http_requests_total", "leakguard_partner_batch_duration_seconds"} {
		if !bytes.Contains(body, []byte(m)) {
			t.Errorf("metrics lack %s", m)
		}
	}
	if bytes.Contains(body, []byte(e.admin.Reveal())) {
		t.Error("metrics contain a token")
	}
}

func TestReadyzFailsWhenStoreDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *webhook.Config) {
		c.Ready = map[string]func(ctxt) error{"store": func(ctxt) error { return errors.New("down") }}
	})
	resp, body := e.api(t, "GET", "/readyz", e.admin, "")
	wantStatus(t, resp, body, http.StatusServiceUnavailable)
}

func TestSlowClientIsCutOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *webhook.Config) {
		c.Timeouts = webhook.Timeouts{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond}
	})
	hs := e.srv.HTTPServer()
	if hs.ReadHeaderTimeout != 200*time.Millisecond || hs.ReadTimeout != 300*time.Millisecond || hs.WriteTimeout == 0 || hs.IdleTimeout == 0 {
		t.Fatalf("timeouts not applied: %+v", hs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close(); <-done })
	tests := []struct{ name, send string }{
		{"headers never finish", "POST /v1/github/secret-scanning HTTP/1.1\r\nHost: x\r\n"},
		{"body never arrives", "POST /v1/github/secret-scanning HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n" +
			"Github-Public-Key-Identifier: k\r\nGithub-Public-Key-Signature: MAYCAQECAQE=\r\n\r\n[{"},
	}
	for _, tc := range tests {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := io.WriteString(conn, tc.send); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadAll(bufio.NewReader(conn))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: connection still open after 5s", tc.name)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: cut off after %v", tc.name, d)
		}
		conn.Close()
	}
}

func TestLogsHoldNoTokens(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := newEnv(t, func(c *webhook.Config) { c.Logger = zerologTo(&logs) })
	user := e.issue(t, "user")
	e.api(t, "POST", "/v1/tokens/verify", e.admin, `{"token":"`+user.Reveal()+`"}`)
	e.api(t, "GET", "/v1/tokens/"+user.Reveal(), e.admin, "")
	e.api(t, "GET", "/v1/tokens?owner="+user.Reveal(), e.admin, "")
	e.postSigned(t, batch(t, item(user.Reveal(), "https://github.com/o/r/blob/1/x?t="+user.Reveal())))
	if logs.Len() == 0 {
		t.Fatal("no request logs")
	}
	for _, s := range []string{user.Reveal(), e.admin.Reveal(), "Bearer"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("logs contain %q", s[:4])
		}
	}
}
