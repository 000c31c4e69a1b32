package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/storeopen"
)

// pushServer is a bare repository with leakguard's pre-receive hook and a
// clone that pushes to it, both driven by the real git: git itself
// quarantines the pushed objects and sets the hook's environment.
type pushServer struct {
	t         *testing.T
	bin, bare string
	work      gitDir
	env       []string // of every git and leakguard process the test starts
}

func newPushServer(t *testing.T, bin string, hookArgs ...string) *pushServer {
	t.Helper()
	return newPushServerEnv(t, bin, nil, hookArgs...)
}

// newPushServerEnv is newPushServer with env added to the environment of
// every process, the hook's included (git passes its own on).
func newPushServerEnv(t *testing.T, bin string, env []string, hookArgs ...string) *pushServer {
	t.Helper()
	work := newGitDir(t)
	home := t.TempDir()
	s := &pushServer{t: t, bin: bin, bare: filepath.Join(t.TempDir(), "srv.git"), work: work,
		env: append(append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "USER=alice"), env...)}
	if out, err := exec.Command("git", "init", "-q", "--bare", s.bare).CombinedOutput(); err != nil {
		t.Fatalf("git init --bare: %v\n%s", err, out)
	}
	out, err := s.cmd(bin, append([]string{"hook", "install", "--pre-receive", "--repo", s.bare, "--"}, hookArgs...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "installed the leakguard pre-receive hook") {
		t.Fatalf("hook install: %v\n%s", err, out)
	}
	work.write("README", "hello\n")
	work.commitAll("base")
	if r := s.push("main"); r.code != 0 {
		t.Fatalf("first push: exit %d\n%s", r.code, r.stderr)
	}
	return s
}

func (s *pushServer) cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir, c.Env = s.work.dir, s.env
	return c
}

// push runs `git push <bare> args...` from the clone; stderr is what the
// pusher sees, the hook's lines prefixed with "remote: ".
func (s *pushServer) push(args ...string) result {
	s.t.Helper()
	c := s.cmd("git", append([]string{"push", s.bare}, args...)...)
	var out, errOut strings.Builder
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatal(err)
	}
	return result{out.String(), errOut.String(), code}
}

// refExists reports whether the server has ref.
func (s *pushServer) refExists(ref string) bool {
	return exec.Command("git", "--git-dir", s.bare, "rev-parse", "--verify", "-q", ref).Run() == nil
}

func ourToken(t *testing.T) string { return newToken(t, "leakguard-user") }

// TestPreReceiveHook pushes to a bare repository guarded by `leakguard
// hook pre-receive`: whatever adds one of our tokens is rejected with a
// message naming the place and the redacted token, look-alikes pass, a
// bypass with a reason passes and is printed; new branches, tags,
// deletions and force pushes scan exactly what they add.
func TestPreReceiveHook(t *testing.T) {
	t.Parallel()
	s := newPushServer(t, buildBinary(t, t.TempDir()))
	w := s.work
	tok := ourToken(t)
	redacted := patterns.NewSecret(tok).Redact("lgu_")

	w.write("lookalike.env", "KEY="+flipLast(tok)+"\n")
	w.commitAll("look-alike")
	if r := s.push("main"); r.code != 0 {
		t.Fatalf("look-alike push: exit %d\n%s", r.code, r.stderr)
	}

	w.write("conf/app.env", "# config\nKEY="+tok+"\n")
	bad := w.commitAll("token")
	r := s.push("main")
	if r.code == 0 || !strings.Contains(r.stderr, "pre-receive hook declined") {
		t.Fatalf("push with a token: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"remote: conf/app.env:2:5  leakguard-user  " + redacted, "commit " + bad,
		"remote: leakguard: push rejected", "rotate", "git push -o leakguard.allow="} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("pusher's stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout+r.stderr, tok) {
		t.Fatal("the plaintext token reached the pusher")
	}

	r = s.push("-o", "leakguard.allow=test fixture", "main")
	if r.code != 0 || !strings.Contains(r.stderr, `push accepted: tokens found, let through by alice with the reason "test fixture"`) {
		t.Fatalf("bypassed push: exit %d\n%s", r.code, r.stderr)
	}

	for _, tc := range []struct {
		name   string
		setup  func() // commits in the clone
		args   []string
		accept bool
		ref    string // must exist on the server afterwards (accept) or not (reject)
	}{
		{"new branch with a token", func() {
			w.run("checkout", "-q", "-b", "topic")
			w.write("topic.env", "T="+ourToken(t)+"\n")
			w.commitAll("topic")
		}, []string{"topic"}, false, "refs/heads/topic"},
		{"new branch of known commits", func() { w.run("checkout", "-q", "-B", "known", "main") }, []string{"known"}, true, "refs/heads/known"},
		{"annotated tag on a new commit with a token", func() {
			w.run("tag", "-a", "-m", "v1", "v1", "topic")
		}, []string{"refs/tags/v1"}, false, "refs/tags/v1"},
		{"tag on a known commit", func() { w.run("tag", "-a", "-m", "v0", "v0", "main") }, []string{"refs/tags/v0"}, true, "refs/tags/v0"},
		{"deletion", func() {}, []string{":refs/heads/known"}, true, ""},
		{"force push rewriting history with a token", func() {
			w.run("checkout", "-q", "main")
			w.write("README", "rewritten "+ourToken(t)+"\n")
			w.run("commit", "-q", "--amend", "-a", "-m", "rewritten")
		}, []string{"-f", "main"}, false, ""},
		{"force push rewriting history cleanly", func() {
			w.run("reset", "-q", "--hard", "main~1")
			w.write("README", "clean rewrite\n")
			w.commitAll("clean")
		}, []string{"-f", "main"}, true, ""},
	} {
		tc.setup()
		r := s.push(tc.args...)
		if got := r.code == 0; got != tc.accept {
			t.Fatalf("%s: exit %d, want accepted=%v\n%s", tc.name, r.code, tc.accept, r.stderr)
		}
		if tc.ref != "" && s.refExists(tc.ref) != tc.accept {
			t.Errorf("%s: ref %s on the server: %v", tc.name, tc.ref, !tc.accept)
		}
		if !tc.accept && !strings.Contains(r.stderr, "push rejected") {
			t.Errorf("%s: no rejection message\n%s", tc.name, r.stderr)
		}
	}
	if s.refExists("refs/heads/known") {
		t.Error("deleted branch still on the server")
	}
}

// TestPreReceiveHookStore: with --db and --revoke in the hook, a token of
// ours in a rejected push is revoked as leaked by the push, and a bypass
// is recorded on the token as a leak_reported event naming the pusher.
func TestPreReceiveHookStore(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t, t.TempDir())
	dsn, _ := sqliteDSN(t)
	c := newCLI(t, dsn)
	revoked, bypassed := c.issue(), c.issue()
	s := newPushServer(t, bin, "--db", dsn, "--revoke")

	s.work.write("a.env", "A="+revoked+"\n")
	s.work.commitAll("leak")
	if r := s.push("main"); r.code == 0 || !strings.Contains(r.stderr, "revoked by this scan") {
		t.Fatalf("push: exit %d\n%s", r.code, r.stderr)
	}
	s.work.run("reset", "-q", "--hard", "HEAD~1")
	s.work.write("b.env", "B="+bypassed+"\n")
	s.work.commitAll("fixture")
	r := s.push("-o", "leakguard.allow=test fixture", "main")
	if r.code != 0 || !strings.Contains(r.stderr, "bypass by alice recorded on 1 token of ours") {
		t.Fatalf("bypassed push: exit %d\n%s", r.code, r.stderr)
	}

	ctx := context.Background()
	st, err := storeopen.Open(ctx, dsn, storeopen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tr, err := st.TokenByHash(ctx, patterns.HashToken(revoked))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Valid || !strings.HasPrefix(tr.InvalidReason, "leaked: git push "+s.bare) || !strings.HasSuffix(tr.InvalidReason, " refs/heads/main") {
		t.Errorf("rejected push's token: valid %v, reason %q", tr.Valid, tr.InvalidReason)
	}
	tb, err := st.TokenByHash(ctx, patterns.HashToken(bypassed))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, tb.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if !tb.Valid || last.Kind != store.EventLeakReported || last.Actor != "pre-receive:alice" ||
		!strings.Contains(last.Detail, "push bypassed by alice: test fixture") {
		b, _ := json.Marshal(evs)
		t.Errorf("bypassed token: valid %v, events %s", tb.Valid, b)
	}
}

// TestPreReceiveHookServer: with --server (and --revoke) in the hook, a
// bypassed push is accepted and recorded through the server's POST
// /v1/tokens/bypasses, as --db records it locally: the token of ours it
// carries stays active and its events, read through the API, end with a
// leak_reported event naming the pusher, the reason and the push, with
// the hook's service token as the actor. No plaintext token leaves the
// git server.
func TestPreReceiveHookServer(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t, t.TempDir())
	b := remoteBackend(t, &cliClock{t: time.Now().UTC().Truncate(time.Second)})
	ctx := context.Background()
	issue := func(typ string) lifecycle.Issued {
		iss, err := b.mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "alice@example.org", Name: "fixture " + typ, Type: typ, Actor: "test", Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return iss
	}
	fixture, admin := issue(patterns.TypeUser), issue(patterns.TypeAdmin)
	svc, err := b.st.TokenByHash(ctx, patterns.HashToken(b.env[serverTokenEnv]))
	if err != nil {
		t.Fatal(err)
	}
	s := newPushServerEnv(t, bin, []string{serverTokenEnv + "=" + b.env[serverTokenEnv]}, append(b.args, "--revoke")...)

	s.work.write("testdata/fixture.env", "KEY="+fixture.Secret.Reveal()+"\n")
	s.work.commitAll("fixture")
	r := s.push("-o", "leakguard.allow=test fixture", "main")
	if r.code != 0 || !strings.Contains(r.stderr, "bypass by alice recorded on 1 token of ours") {
		t.Fatalf("bypassed push: exit %d\n%s", r.code, r.stderr)
	}
	if !s.refExists("refs/heads/main") {
		t.Fatal("the bypassed push did not land")
	}

	req, err := http.NewRequest("GET", b.args[1]+"/v1/tokens/"+fixture.Token.ID+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+admin.Secret.Reveal())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Events []struct{ Kind, Actor, Source, Detail string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET events: %d, %v", resp.StatusCode, err)
	}
	if n := len(got.Events); n != 2 {
		t.Fatalf("events = %+v, want issued and the bypass", got.Events)
	}
	want := struct{ Kind, Actor, Source, Detail string }{"leak_reported", "token:" + svc.ID, "git",
		"push bypassed by alice: test fixture (push " + s.bare + " refs/heads/main)"}
	if last := got.Events[1]; last != want {
		t.Errorf("bypass event = %+v, want %+v", last, want)
	}
	tok, err := b.st.TokenByHash(ctx, fixture.Token.Hash)
	if err != nil || !tok.Valid {
		t.Errorf("the bypassed token: %+v, %v; want it still active (a bypass never revokes)", tok, err)
	}
	sent := b.sent()
	if !bytes.Contains(sent, []byte("/v1/tokens/bypasses")) {
		t.Errorf("the hook never called POST /v1/tokens/bypasses:\n%s", sent)
	}
	if bytes.Contains(sent, []byte(fixture.Secret.Reveal())) {
		t.Error("the plaintext token left the git server")
	}
}
