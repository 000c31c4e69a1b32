package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/testenv"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/storeopen"
)

// statusBackend is a token store as scan reaches it: the flags and
// environment naming it, and the manager and store behind it (for issuing
// and checking).
type statusBackend struct {
	args []string
	env  map[string]string
	mgr  *lifecycle.Manager
	st   store.Store
	// sent returns every request body that left the scanning machine
	// (remote backends), for the plaintext check.
	sent func() []byte
	// forget, if set, drops cached state about these token hashes.
	forget func(hashes []string)
}

// localBackend opens dsn for the test's own issuing and checking.
func localBackend(t *testing.T, dsn string, clk *cliClock) statusBackend {
	t.Helper()
	st, err := storeopen.Open(context.Background(), dsn, storeopen.Options{Getenv: func(string) string { return "" }, Log: zerolog.Nop(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mgr := lifecycle.New(st, patterns.Default(), lifecycle.Options{Policy: lifecycle.DefaultPolicy(), Now: clk.Now, Logger: zerolog.Nop()})
	t.Cleanup(func() { _ = mgr.Close(); _ = st.Close() })
	return statusBackend{args: []string{"--db", dsn}, env: map[string]string{"USER": "tester"}, mgr: mgr, st: st}
}

// remoteBackend starts the real server (Main) on an embedded store behind
// a recording proxy and returns it with a service token in LEAKGUARD_TOKEN.
func remoteBackend(t *testing.T, clk *cliClock) statusBackend {
	t.Helper()
	m := NewMain()
	m.Addr, m.DB, m.Now = "127.0.0.1:0", "sqlite:"+filepath.Join(t.TempDir(), "server.db"), clk.Now
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	target, _ := url.Parse(m.URL())
	rec := &bodyRecorder{next: httputil.NewSingleHostReverseProxy(target)}
	proxy := httptest.NewServer(rec)
	t.Cleanup(proxy.Close)
	svc, err := m.Manager.Issue(context.Background(), lifecycle.IssueRequest{Owner: "ci@example.org",
		Name: "scanner", Type: patterns.TypeService, Actor: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return statusBackend{args: []string{"--server", proxy.URL},
		env: map[string]string{serverTokenEnv: svc.Secret.Reveal()},
		mgr: m.Manager, st: m.Store, sent: rec.all}
}

// bodyRecorder keeps every request body and URL it forwards.
type bodyRecorder struct {
	next http.Handler
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (b *bodyRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.buf.WriteString(r.URL.String() + "\n")
	b.buf.Write(body)
	b.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	b.next.ServeHTTP(w, r)
}

func (b *bodyRecorder) all() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// TestScanStatusAndRevoke runs scan's status look-up and --revoke end to
// end on every backend: embedded SQLite, PostgreSQL (when reachable) and a
// server reached with --server.
func TestScanStatusAndRevoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		open func(t *testing.T, clk *cliClock) statusBackend
	}{
		{"sqlite", func(t *testing.T, clk *cliClock) statusBackend {
			return localBackend(t, "sqlite:"+filepath.Join(t.TempDir(), "lg.db"), clk)
		}},
		{"postgres", func(t *testing.T, clk *cliClock) statusBackend {
			dsn, _ := testPostgres(t)
			return localBackend(t, dsn, clk)
		}},
		{"sqlite with redis", func(t *testing.T, clk *cliClock) statusBackend {
			redisURL, rdb := testenv.RedisClient(t)
			b := localBackend(t, "sqlite:"+filepath.Join(t.TempDir(), "lg.db"), clk)
			b.args = append(b.args, "--redis", redisURL)
			b.forget = func(hashes []string) {
				n := int64(0)
				for _, h := range hashes {
					n += rdb.Del(context.Background(), "leakguard:tok:h:"+h).Val()
				}
				if n == 0 {
					t.Error("nothing was cached in Redis: was --redis applied?")
				}
			}
			return b
		}},
		{"server", remoteBackend},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &cliClock{t: time.Now().UTC().Truncate(time.Second)}
			testScanStatusAndRevoke(t, tc.open(t, clk), clk)
		})
	}
}

// statusScan runs scans against one backend and keeps their output.
type statusScan struct {
	t   *testing.T
	b   statusBackend
	clk *cliClock
	out bytes.Buffer
}

func (s *statusScan) run(stdin io.Reader, args ...string) result {
	s.t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append(append([]string{"scan"}, s.b.args...), args...), IO{
		Stdin: stdin, Stdout: &out, Stderr: &errOut, Now: s.clk.Now,
		Getenv: func(k string) string { return s.b.env[k] },
	})
	s.out.Write(out.Bytes())
	s.out.Write(errOut.Bytes())
	return result{out.String(), errOut.String(), code}
}

// outcomes renders findings as "path:line status/action" lines.
func outcomes(t *testing.T, root, stdout string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range jsonFindings(t, stdout) {
		fmt.Fprintf(&b, "%s:%d %s/%s\n", strings.TrimPrefix(f.Path, root+"/"), f.Line, f.Status, f.Action)
	}
	return b.String()
}

func testScanStatusAndRevoke(t *testing.T, b statusBackend, clk *cliClock) {
	ctx := context.Background()
	issue := func(typ, expires string) (patterns.Secret, *store.Token) {
		t.Helper()
		is, err := b.mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "alice@example.org", Name: "t", Type: typ,
			ExpiresIn: expires, Actor: "test", Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return is.Secret, is.Token
	}
	leaked, leakedTok := issue(patterns.TypeUser, "")
	gone, _ := issue(patterns.TypeUser, "")
	if _, _, err := b.mgr.Revoke(ctx, lifecycle.RevokeRequest{Secret: gone, Reason: "rotated", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	old, _ := issue(patterns.TypeService, "1s")
	stranger, ghp := newToken(t, "leakguard-user"), newToken(t, "github-pat")
	plain := []string{leaked.Reveal(), gone.Reveal(), old.Reveal(), stranger, ghp}
	if b.forget != nil {
		t.Cleanup(func() {
			var hs []string
			for _, p := range plain {
				hs = append(hs, patterns.HashToken(p))
			}
			b.forget(hs)
		})
	}
	clk.Add(time.Hour)
	dir := writeFiles(t, map[string]string{
		"a.txt":     "\n\nkey = " + leaked.Reveal() + "\n",
		"sub/b.txt": strings.Join([]string{leaked.Reveal(), gone.Reveal(), old.Reveal(), stranger, ghp}, "\n") + "\n",
	})
	s := &statusScan{t: t, b: b, clk: clk}
	steps := []struct {
		name string
		args []string
		want string
	}{
		{"status only", nil, "a.txt:3 active/\nsub/b.txt:1 active/\nsub/b.txt:2 revoked/\nsub/b.txt:3 expired/\nsub/b.txt:4 unknown/\nsub/b.txt:5 unknown/\n"},
		{"revoke", []string{"--revoke"}, "a.txt:3 revoked/revoked\nsub/b.txt:1 revoked/revoked\nsub/b.txt:2 revoked/none\nsub/b.txt:3 expired/none\nsub/b.txt:4 unknown/none\nsub/b.txt:5 unknown/none\n"},
		{"revoke again", []string{"--revoke"}, "a.txt:3 revoked/none\nsub/b.txt:1 revoked/none\nsub/b.txt:2 revoked/none\nsub/b.txt:3 expired/none\nsub/b.txt:4 unknown/none\nsub/b.txt:5 unknown/none\n"},
	}
	for _, st := range steps {
		r := s.run(nil, append(st.args, "--format", "json", dir)...)
		if r.code != 1 {
			t.Fatalf("%s: exit %d, want 1; stderr:\n%s", st.name, r.code, r.stderr)
		}
		if got := outcomes(t, dir, r.stdout); got != st.want {
			t.Errorf("%s:\n%s\nwant:\n%s", st.name, got, st.want)
		}
		if len(st.args) > 0 {
			checkLeak(t, b, leaked, leakedTok.ID, "leaked: file "+dir+"/a.txt:3")
		}
	}
	if r := s.run(nil, "--revoke", dir); !strings.Contains(r.stderr, "0 tokens revoked") {
		t.Errorf("text summary: %q", r.stderr)
	}

	fresh, freshTok := issue(patterns.TypeUser, "")
	plain = append(plain, fresh.Reveal())
	testDiffRevoke(t, s, fresh, freshTok.ID)

	var sent []byte
	if b.sent != nil {
		sent = b.sent()
		if !bytes.Contains(sent, []byte(leakedTok.Hash)) {
			t.Error("the recording proxy saw no request: was --server used?")
		}
	}
	for _, p := range plain {
		if bytes.Contains(s.out.Bytes(), []byte(p)) {
			t.Error("scan output holds a plaintext token")
		}
		if bytes.Contains(sent, []byte(p)) {
			t.Error("a request to the server holds a plaintext token")
		}
	}
}

// testDiffRevoke revokes a token added in `git log -p` output: the reason
// names the commit.
func testDiffRevoke(t *testing.T, s *statusScan, tok patterns.Secret, id string) {
	t.Helper()
	commit := "65b9cfb0f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6"
	patch := "commit " + commit + "\nAuthor: Ada <ada@example.org>\nDate:   Tue Jan 2 00:00:00 2024 +0000\n\n    add\n\n" +
		"diff --git a/cfg.env b/cfg.env\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/cfg.env\n" +
		"@@ -0,0 +1,2 @@\n+x=1\n+TOKEN=" + tok.Reveal() + "\n"
	r := s.run(strings.NewReader(patch), "--revoke", "--diff", "--format", "json")
	if got, want := outcomes(t, "", r.stdout), "cfg.env:2 revoked/revoked\n"; r.code != 1 || got != want {
		t.Errorf("diff: exit %d, %q, want %q; stderr:\n%s", r.code, got, want, r.stderr)
	}
	checkLeak(t, s.b, tok, id, "leaked: diff cfg.env:2 commit "+commit)
}

// checkLeak asserts a token is revoked with reason, one leak_reported
// event and one token.revoked notification in the outbox.
func checkLeak(t *testing.T, b statusBackend, tok patterns.Secret, id, reason string) {
	t.Helper()
	ctx := context.Background()
	v, err := b.mgr.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.Token == nil || v.Token.InvalidReason != reason {
		t.Fatalf("after scan --revoke: valid %v, reason %q, want %q", v.Valid, v.Token.InvalidReason, reason)
	}
	evs, err := b.mgr.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[store.EventKind]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
	}
	if kinds[store.EventLeakReported] != 1 || kinds[store.EventRevoked] != 0 {
		t.Errorf("events %v, want one leak_reported and no revoked", kinds)
	}
	if n := notificationsFor(t, b.st, id); n != 1 {
		t.Errorf("%d notifications for %s in the outbox, want 1", n, id)
	}
}

// notificationsFor counts outbox entries about token id. It claims with a
// lease of a nanosecond far in the future so that later calls see them too.
func notificationsFor(t *testing.T, st store.Store, id string) int {
	t.Helper()
	ns, err := st.ClaimNotifications(context.Background(), time.Now().Add(24*time.Hour), 1000, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Type == store.NotifyRevoked && bytes.Contains(x.Payload, []byte(`"`+id+`"`)) {
			n++
		}
	}
	return n
}

// TestScanStatusErrors: bad store flags stop the scan before it starts; a
// store or server that cannot answer is exit 2 with the findings printed.
func TestScanStatusErrors(t *testing.T) {
	t.Parallel()
	tok := newToken(t, "leakguard-user")
	dir := writeFiles(t, map[string]string{"a.txt": tok + "\n"})
	data := t.TempDir()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	svc := map[string]string{serverTokenEnv: newToken(t, "leakguard-service"), "XDG_DATA_HOME": data}
	missing := filepath.Join(t.TempDir(), "missing.db")
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		status string // status of the finding; "" = no findings printed
		stderr string
	}{
		{"no store, no status", nil, []string{dir}, 1, "-", ""},
		{"db and server", svc, []string{"--db", "sqlite:x", "--server", "https://h", dir}, 2, "", "exclude each other"},
		{"redis without db", nil, []string{"--redis", "redis://127.0.0.1:1", dir}, 2, "", "--redis needs --db"},
		{"revoke without store names the default", map[string]string{"XDG_DATA_HOME": data}, []string{"--revoke", dir}, 2, "", "--db sqlite:" + data},
		{"server without token", nil, []string{"--server", "https://leakguard.example.org", dir}, 2, "", serverTokenEnv},
		{"server over plain http", svc, []string{"--server", "http://leakguard.example.org", dir}, 2, "", "use https"},
		{"server not a URL", svc, []string{"--server", "leakguard.example.org", dir}, 2, "", "http(s) URL"},
		{"bad db scheme", nil, []string{"--db", "mysql://x", dir}, 2, "", "unknown store scheme"},
		{"missing sqlite file", nil, []string{"--db", "sqlite:" + missing, "--revoke", dir}, 2, "unknown", "no token store at"},
		{"server down", svc, []string{"--server", closed.URL, "--revoke", dir}, 2, "unknown", "token store: revoke"},
		{"server down, status", svc, []string{"--server", closed.URL, dir}, 2, "unknown", "status look-up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runScanCmd(t, nil, tc.env, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tc.code, r.stderr)
			}
			if tc.stderr != "" && !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.stderr)
			}
			switch {
			case tc.status == "" && r.stdout != "":
				t.Errorf("stdout = %q, want nothing", r.stdout)
			case tc.status != "" && !strings.Contains(r.stdout, "  "+tc.status+"\n") && !strings.Contains(r.stdout, "  "+tc.status+"  "):
				t.Errorf("stdout = %q, want the finding with status %s", r.stdout, tc.status)
			}
			if strings.Contains(r.stdout+r.stderr, tok) || strings.Contains(r.stdout+r.stderr, svc[serverTokenEnv]) {
				t.Error("output holds a plaintext token")
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("scan created the missing SQLite file")
	}
	if ents, _ := os.ReadDir(data); len(ents) != 0 {
		t.Errorf("scan wrote to the data directory: %v", ents)
	}
}

// TestScanNoStoreNoStatus: without --db and --server the JSON findings have
// no status and no action, and no store file appears.
func TestScanNoStoreNoStatus(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	dir := writeFiles(t, map[string]string{"a.txt": newToken(t, "leakguard-user") + "\n"})
	r := runScanCmd(t, nil, map[string]string{"XDG_DATA_HOME": data, "HOME": data}, "--format", "json", dir)
	fs := jsonFindings(t, r.stdout)
	if r.code != 1 || len(fs) != 1 {
		t.Fatalf("exit %d, %d findings", r.code, len(fs))
	}
	if strings.Contains(r.stdout, `"status"`) || strings.Contains(r.stdout, `"action"`) || fs[0].Status != "" {
		t.Errorf("status or action without a store: %s", r.stdout)
	}
	if ents, _ := os.ReadDir(data); len(ents) != 0 {
		t.Errorf("scan wrote to the data directory: %v", ents)
	}
}

// TestScanServerRefuses: a bearer token the server does not accept (a user
// token, or garbage) is exit 2 with the server's error, and the findings
// are still printed, status unknown.
func TestScanServerRefuses(t *testing.T) {
	t.Parallel()
	clk := &cliClock{t: time.Now().UTC().Truncate(time.Second)}
	b := remoteBackend(t, clk)
	user, err := b.mgr.Issue(context.Background(), lifecycle.IssueRequest{Owner: "bob@example.org",
		Name: "laptop", Type: patterns.TypeUser, Actor: "test", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{"a.txt": user.Secret.Reveal() + "\n"})
	tests := []struct{ name, bearer, stderr string }{
		{"user token", user.Secret.Reveal(), "403 Forbidden: forbidden"},
		{"not a token", "nonsense", "401 Unauthorized: unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { // sequential: the check below follows them
			bb := b
			bb.env = map[string]string{serverTokenEnv: tc.bearer}
			s := &statusScan{t: t, b: bb, clk: clk}
			r := s.run(nil, "--revoke", "--format", "json", dir)
			if r.code != 2 || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.stderr)
			}
			if got, want := outcomes(t, dir, r.stdout), "a.txt:1 unknown/none\n"; got != want {
				t.Errorf("findings %q, want %q", got, want)
			}
			if strings.Contains(s.out.String(), user.Secret.Reveal()) {
				t.Error("output holds a plaintext token")
			}
		})
	}
	if v, err := b.mgr.Verify(context.Background(), user.Secret); err != nil || !v.Valid {
		t.Errorf("token no longer valid after refused scans: %v %v", v.Valid, err)
	}
}
