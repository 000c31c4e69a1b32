package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// cliClock is a settable clock shared by the CLI runs of a test.
type cliClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *cliClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *cliClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// cli runs leakguard commands against one store and keeps every output for
// the canary checks.
type cli struct {
	t      *testing.T
	db     string
	env    map[string]string
	clk    *cliClock
	mu     sync.Mutex
	output bytes.Buffer // everything any run wrote, stdout and stderr
}

func newCLI(t *testing.T, db string) *cli {
	t.Helper()
	return &cli{t: t, db: db, env: map[string]string{"USER": "tester"},
		clk: &cliClock{t: time.Now().UTC().Truncate(time.Second)}}
}

// run executes `leakguard args...` with stdin and returns the exit code,
// stdout and stderr.
func (c *cli) run(stdin string, args ...string) (int, string, string) {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	if c.db != "" && len(args) > 1 && args[0] == "token" {
		args = append(append([]string{}, args[:2]...), append([]string{"--db", c.db}, args[2:]...)...)
	}
	code := Run(context.Background(), args, IO{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return c.env[k] }, Now: c.clk.Now,
	})
	c.mu.Lock()
	c.output.Write(stdout.Bytes())
	c.output.Write(stderr.Bytes())
	c.mu.Unlock()
	return code, stdout.String(), stderr.String()
}

// issue issues a token and returns its plaintext, failing the test unless
// stdout is exactly the token and a newline.
func (c *cli) issue(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run("", append([]string{"token", "issue", "--owner", "alice", "--name", "ci"}, args...)...)
	if code != 0 {
		c.t.Fatalf("token issue %v: exit %d: %s", args, code, errOut)
	}
	tok := strings.TrimSuffix(out, "\n")
	if strings.ContainsAny(tok, " \n\t") || tok == "" {
		c.t.Fatalf("token issue stdout = %q, want the token alone", out)
	}
	if _, ok := patterns.Default().Identify(tok); !ok && !strings.Contains(strings.Join(args, " "), "--config") {
		c.t.Fatalf("token issue printed something that is not a valid token")
	}
	return tok
}

// list returns token list --format json's records.
func (c *cli) list(args ...string) []map[string]any {
	c.t.Helper()
	code, out, errOut := c.run("", append([]string{"token", "list", "--format", "json"}, args...)...)
	if code != 0 {
		c.t.Fatalf("token list: exit %d: %s", code, errOut)
	}
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			c.t.Fatalf("token list line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func sqliteDSN(t *testing.T) (dsn, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "lg.db")
	return "sqlite:" + path, path
}

func TestTokenLifecycleCLI(t *testing.T) {
	t.Parallel()
	dsn, path := sqliteDSN(t)
	c := newCLI(t, dsn)
	c.env["LEAKGUARD_LOG_LEVEL"] = "debug" // logs too must hold no token
	testTokenLifecycle(t, c)
	assertNoCanary(t, c, path)
}

// testTokenLifecycle is the end-to-end CLI scenario, run on every store.
func testTokenLifecycle(t *testing.T, c *cli) {
	tok := c.issue()
	cases := []struct {
		name      string
		stdin     string
		args      []string
		code      int
		stdout    string // substring
		stderr    string // substring
		advance   time.Duration
		stdoutNot string
	}{
		{name: "verify valid", stdin: tok, args: []string{"token", "verify"}, code: 0, stdout: "valid: tok_"},
		{name: "verify trims whitespace", stdin: "  " + tok + "\r\n", args: []string{"token", "verify", "--quiet"}, code: 0},
		{name: "verify malformed", stdin: flipLast(tok), args: []string{"token", "verify"}, code: 1, stderr: "malformed token"},
		{name: "verify garbage", stdin: "hello", args: []string{"token", "verify"}, code: 1, stderr: "malformed token"},
		{name: "verify empty", stdin: "", args: []string{"token", "verify"}, code: 1, stderr: "malformed token"},
		{name: "verify unknown", stdin: unknownToken(), args: []string{"token", "verify"}, code: 1, stderr: "unknown token"},
		{name: "revoke needs a reason", stdin: tok, args: []string{"token", "revoke", "--token-stdin"}, code: 2, stderr: "--reason"},
		{name: "revoke needs one identifier", args: []string{"token", "revoke", "--id", "a", "--hash", "b", "--reason", "r"}, code: 2},
		{name: "revoke bad hash", args: []string{"token", "revoke", "--hash", "abc", "--reason", "r"}, code: 2, stderr: "hash"},
		{name: "revoke unknown id", args: []string{"token", "revoke", "--id", "tok_nope", "--reason", "r"}, code: 1, stderr: "no such token"},
		{name: "revoke unknown hash", args: []string{"token", "revoke", "--hash", strings.Repeat("0", 64), "--reason", "r"}, code: 1, stderr: "no such token"},
		{name: "revoke unknown token", stdin: unknownToken(), args: []string{"token", "revoke", "--token-stdin", "--reason", "r"}, code: 1, stderr: "no such token"},
		{name: "revoke", stdin: tok, args: []string{"token", "revoke", "--token-stdin", "--reason", "leaked: file a.py:3"}, code: 0, stdout: "revoked: tok_"},
		{name: "revoke again", stdin: tok, advance: time.Minute, args: []string{"token", "revoke", "--token-stdin", "--reason", "again", "--format", "json"}, code: 0, stdout: `"already_revoked":true`},
		{name: "verify revoked", stdin: tok, args: []string{"token", "verify"}, code: 1,
			stderr: "This API token became invalid on " + c.clk.Now().Format(time.RFC3339) + ": leaked: file a.py:3"},
		{name: "verify revoked json", stdin: tok, args: []string{"token", "verify", "--format", "json"}, code: 1, stdout: `"valid":false`},
		{name: "unknown subcommand", args: []string{"token", "frobnicate"}, code: 2},
		{name: "issue needs an owner", args: []string{"token", "issue", "--name", "x"}, code: 2},
		{name: "issue never refused", args: []string{"token", "issue", "--owner", "o", "--name", "n", "--expires", "never"}, code: 2, stderr: "never"},
		{name: "issue bad expiry", args: []string{"token", "issue", "--owner", "o", "--name", "n", "--expires", "soon"}, code: 2, stderr: "soon"},
		{name: "issue bad type", args: []string{"token", "issue", "--owner", "o", "--name", "n", "--type", "root"}, code: 2, stderr: "root"},
		{name: "list bad state", args: []string{"token", "list", "--state", "dead"}, code: 2},
	}
	for _, tc := range cases {
		c.clk.Add(tc.advance)
		code, out, errOut := c.run(tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, stdout ~ %q, stderr ~ %q",
				tc.name, code, out, errOut, tc.code, tc.stdout, tc.stderr)
		}
	}
	recs := c.list("--state", "revoked")
	if len(recs) != 1 || recs[0]["invalid_reason"] != "leaked: file a.py:3" || recs[0]["state"] != "revoked" {
		t.Errorf("revoked list = %v", recs)
	}
	testExpiryCLI(t, c)
}

// testExpiryCLI checks the expiry policy on the CLI path and a 1s token.
func testExpiryCLI(t *testing.T, c *cli) {
	short := c.issue("--expires", "1s", "--name", "short")
	c.clk.Add(2 * time.Second)
	code, _, errOut := c.run(short, "token", "verify")
	if want := "This API token expired on "; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("1s token after 2s: exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
	c.issue("--expires", "1000d", "--owner", "capped")
	c.issue("--expires", "never", "--allow-never", "--owner", "forever")
	c.env["LEAKGUARD_MAX_EXPIRY"] = "10d"
	c.issue("--expires", "30d", "--owner", "envcap")
	delete(c.env, "LEAKGUARD_MAX_EXPIRY")
	now := c.clk.Now()
	want := map[string]*time.Time{"capped": ptr(now.Add(365 * 24 * time.Hour)), "forever": nil, "envcap": ptr(now.Add(10 * 24 * time.Hour))}
	for owner, exp := range want {
		recs := c.list("--owner", owner)
		if len(recs) != 1 {
			t.Fatalf("list --owner %s: %d records", owner, len(recs))
		}
		got := recs[0]["expires_at"]
		if exp == nil && got != nil || exp != nil && got != exp.Format(time.RFC3339) {
			t.Errorf("%s: expires_at = %v, want %v", owner, got, exp)
		}
	}
	if recs := c.list("--state", "expired"); len(recs) != 1 || recs[0]["name"] != "short" {
		t.Errorf("expired list = %v", recs)
	}
	keys := []string{"id", "owner", "name", "type", "last4", "created_at", "expires_at", "last_used_at", "state", "invalid_at", "invalid_reason"}
	for _, r := range c.list() {
		for _, k := range keys {
			if _, ok := r[k]; !ok {
				t.Errorf("record lacks %q: %v", k, r)
			}
		}
	}
	if code, out, _ := c.run("", "token", "list"); code != 0 || !strings.Contains(out, "ID") || !strings.Contains(out, "envcap") {
		t.Errorf("text list: exit %d: %s", code, out)
	}
}

func ptr(t time.Time) *time.Time { return &t }

// unknownToken is a well-formed user token that was never issued.
func unknownToken() string {
	f, _ := patterns.Default().Issued(patterns.TypeUser)
	return f.WithChecksum(f.Prefixes[0], strings.Repeat("Q", f.BodyMin))
}

// assertNoCanary checks that no plaintext token issued through c appears in
// any output or in the SQLite files.
func assertNoCanary(t *testing.T, c *cli, dbPath string) {
	t.Helper()
	issued := issuedTokens(c)
	if len(issued) == 0 {
		t.Fatal("no token issued")
	}
	files, _ := filepath.Glob(dbPath + "*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range issued {
			if bytes.Contains(b, []byte(tok)) {
				t.Errorf("%s contains a plaintext token", filepath.Base(name))
			}
		}
	}
}

// issuedTokens returns the tokens printed by issue and checks that nothing
// else c printed contains one: every token found in the output must be on
// a line of its own, as `token issue` prints it, and appear once.
func issuedTokens(c *cli) []string {
	c.t.Helper()
	var out []string
	seen := map[string]int{}
	_ = scanner.New(patterns.Default()).ScanBytes(c.output.Bytes(), func(m scanner.Match) error {
		seen[m.Secret.Reveal()]++
		out = append(out, m.Secret.Reveal())
		return nil
	})
	for tok, n := range seen {
		if n != 1 && tok != unknownToken() {
			c.t.Errorf("a plaintext token appears %d times in the CLI output (issue prints it once)", n)
		}
	}
	return out
}

func TestTokenDefaultStoreInDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := newCLI(t, "")
	c.env["XDG_DATA_HOME"] = dir
	c.env["LEAKGUARD_DEFAULT_EXPIRY"] = "2d"
	tok := c.issue()
	if code, _, errOut := c.run(tok, "token", "verify"); code != 0 {
		t.Fatalf("verify: exit %d: %s", code, errOut)
	}
	recs := c.list()
	if len(recs) != 1 || recs[0]["expires_at"] != c.clk.Now().Add(48*time.Hour).Format(time.RFC3339) {
		t.Errorf("records = %v, want one expiring in 2d (LEAKGUARD_DEFAULT_EXPIRY)", recs)
	}
	assertNoCanary(t, c, filepath.Join(dir, "leakguard", "leakguard.db"))
	if _, err := os.Stat(filepath.Join(dir, "leakguard", "leakguard.db")); err != nil {
		t.Errorf("embedded store not in the data directory: %v", err)
	}
}

func TestTokenBadFlags(t *testing.T) {
	t.Parallel()
	dsn, _ := sqliteDSN(t)
	c := newCLI(t, dsn)
	for _, args := range [][]string{
		{"token", "issue", "--owner", "o", "--name", "n", "--default-expiry", "never"},
		{"token", "issue", "--owner", "o", "--name", "n", "--max-expiry", "lots"},
		{"token", "list", "--format", "yaml"},
		{"token", "list", "extra"},
		{"token", "verify", "--db", "mysql://x"},
		{"token", "issue", "--owner", "o", "--name", "n", "--config", "/nonexistent.toml"},
	} {
		if code, _, errOut := c.run("", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, errOut)
		}
	}
}

func TestTokenCustomPrefixConfig(t *testing.T) {
	t.Parallel()
	dsn, _ := sqliteDSN(t)
	cfg := filepath.Join(t.TempDir(), "lg.toml")
	if err := os.WriteFile(cfg, []byte("[prefixes]\nuser = \"acme_\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, dsn)
	c.env["LEAKGUARD_CONFIG"] = cfg
	tok := c.issue("--config", cfg)
	if !strings.HasPrefix(tok, "acme_") {
		t.Fatalf("issued token does not use the configured prefix")
	}
	if code, _, errOut := c.run(tok, "token", "verify"); code != 0 {
		t.Errorf("verify acme_ token: exit %d: %s", code, errOut)
	}
	delete(c.env, "LEAKGUARD_CONFIG")
	if code, _, errOut := c.run(tok, "token", "verify"); code != 1 || !strings.Contains(errOut, "malformed") {
		t.Errorf("verify acme_ token without the config: exit %d: %s; want 1 malformed", code, errOut)
	}
}

// flipLast returns tok with its last character changed to a different one,
// so its checksum is certainly wrong (a fixed replacement would equal the
// original once in 62 runs).
func flipLast(tok string) string {
	last := tok[len(tok)-1]
	repl := byte('x')
	if last == repl {
		repl = 'y'
	}
	return tok[:len(tok)-1] + string(repl)
}

func TestCLIErrorsRedactTokens(t *testing.T) {
	t.Parallel()
	c := newCLI(t, "sqlite:"+filepath.Join(t.TempDir(), "lg.db"))
	tok := c.issue()
	for _, args := range [][]string{
		{tok},
		{"token", "issue", "--owner", "o", "--name", "n", "--type", tok},
		{"token", "issue", "--owner", "o", "--name", "n", "--expires", tok},
		{"token", "list", "--state", tok},
		{"scan", "-" + tok, t.TempDir()},       // pasted where a flag goes: the flag package's own message
		{"token", "verify", "--" + tok + "=x"}, // likewise, with a value
		{"scan", "--format=" + tok, t.TempDir()},
		{"token", "list", "--limit=" + tok}, // the flag package quotes a bad value
	} {
		code, _, errOut := c.run("", args...)
		if code == 0 || errOut == "" {
			t.Errorf("%d args: exit %d, stderr %q; want a failure", len(args), code, errOut)
		}
		if strings.Contains(errOut, tok) {
			t.Errorf("%d args: stderr quotes the token", len(args))
		}
	}
}

// terminalUnsafe returns the first rune of s, other than the newlines that
// end its lines, that would reach a terminal as a control: a C0 or C1
// control, DEL, a bidi or other invisible format character, or invalid
// UTF-8 (as U+FFFD).
func terminalUnsafe(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r >= 0x7f && r < 0xa0, r == utf8.RuneError,
			unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			return r, true
		}
	}
	return 0, false
}

// TestTokenErrorEscapesControls: an error message that quotes a path
// escapes its controls (the answers themselves: package tokencli's tests).
func TestTokenErrorEscapesControls(t *testing.T) {
	t.Parallel()
	c := newCLI(t, "")
	cfg := filepath.Join(t.TempDir(), "formats\x1b[31m\u202e.toml")
	code, _, errOut := c.run("", "token", "list", "--config", cfg)
	if r, bad := terminalUnsafe(errOut); code != exitFail || bad {
		t.Errorf("exit %d, raw %U in %q", code, r, errOut)
	}
	if !strings.Contains(errOut, `formats\x1b[31m\u202e.toml`) {
		t.Errorf("stderr does not name the file escaped: %q", errOut)
	}
}
