package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/github/githubtest"
	"github.com/leakguard/leakguard/gitlab/gitlabtest"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
)

// othersEnv is a token store with one token of ours, fake GitHub and GitLab
// revocation services, and a tree that leaks a token of each issuer.
type othersEnv struct {
	db, dir          string
	ours, ghp, glpat patterns.Secret
	gh               *githubtest.CredentialsServer
	gl               *gitlabtest.Server
}

func newOthersEnv(t *testing.T) *othersEnv {
	t.Helper()
	e := &othersEnv{db: filepath.Join(t.TempDir(), "lg.db"), gh: githubtest.NewCredentialsServer(), gl: gitlabtest.New()}
	t.Cleanup(e.gh.Close)
	t.Cleanup(e.gl.Close)
	st, err := sqlite.Open(context.Background(), e.db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mgr := lifecycle.New(st, patterns.Default(), lifecycle.Options{Policy: lifecycle.DefaultPolicy()})
	iss, err := mgr.Issue(context.Background(), lifecycle.IssueRequest{Owner: "ada@example.org", Name: "ci", Type: patterns.TypeUser, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mgr.Close()
	st.Close()
	f, _ := patterns.Default().ByID("gitlab-pat")
	e.ours, e.ghp, e.glpat = iss.Secret, patterns.NewSecret(newToken(t, "github-pat")), patterns.NewSecret(f.TruePositives[0])
	e.dir = writeFiles(t, map[string]string{
		"app/settings.py": "API_TOKEN = '" + e.ours.Reveal() + "'\nGITHUB = '" + e.ghp.Reveal() + "'\n",
		"deploy/ci.yml":   "env:\n  GITLAB_TOKEN: " + e.glpat.Reveal() + "\n  GH: " + e.ghp.Reveal() + "\n",
	})
	return e
}

// env is the scan's environment: the issuers' endpoints through their
// environment twins, as an operator sets them.
func (e *othersEnv) env(now time.Time) IO {
	vars := map[string]string{"LEAKGUARD_GITHUB_API_URL": e.gh.URL(), "LEAKGUARD_GITLAB_URL": e.gl.URL(),
		"XDG_DATA_HOME": filepath.Dir(e.db)}
	return IO{Getenv: func(k string) string { return vars[k] }, Now: func() time.Time { return now }}
}

func (e *othersEnv) run(t *testing.T, io IO, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	io.Stdout, io.Stderr, io.Stdin = &out, &errOut, strings.NewReader("")
	code := Run(context.Background(), args, io)
	return result{out.String(), errOut.String(), code}
}

// TestScanRevokeOthers is the issue's "done when": one run revokes ours,
// sends the ghp_ token to GitHub once in a batch and the glpat- token to
// GitLab's self-revocation route; a second run sends nothing again.
func TestScanRevokeOthers(t *testing.T) {
	t.Parallel()
	e := newOthersEnv(t)
	io := e.env(time.Now())
	r := e.run(t, io, "scan", "--db", "sqlite:"+e.db, "--revoke", "--revoke-others", "--format", "json", e.dir)
	if r.code != exitFindings {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	byHash := map[string][]string{}
	for _, f := range jsonFindings(t, r.stdout) {
		byHash[f.TokenHash] = append(byHash[f.TokenHash], string(f.Status)+"/"+string(f.Action)+"/"+f.Issuer+"/"+f.IssuerState)
	}
	want := map[string]string{
		e.ours.Hash():  "revoked/revoked//",
		e.ghp.Hash():   "unknown/reported/github/accepted",
		e.glpat.Hash(): "unknown/reported/gitlab/accepted",
	}
	for h, w := range want {
		if len(byHash[h]) == 0 || byHash[h][0] != w {
			t.Errorf("%s: %v, want %s", h[:8], byHash[h], w)
		}
	}
	if calls := e.gh.Calls(); len(calls) != 1 || len(calls[0].Hashes) != 1 || calls[0].Hashes[0] != e.ghp.Hash() || calls[0].Authorized {
		t.Fatalf("GitHub calls %+v, want one unauthenticated batch of the ghp_ token", calls)
	}
	if calls := e.gl.Calls(); len(calls) != 1 || calls[0].Hash != e.glpat.Hash() {
		t.Fatalf("GitLab calls %+v, want the glpat- token once", calls)
	}
	if !strings.Contains(r.stderr, "1 token revoked, 2 tokens reported to their issuers") {
		t.Errorf("summary: %s", r.stderr)
	}

	r = e.run(t, io, "scan", "--db", "sqlite:"+e.db, "--revoke", "--revoke-others", e.dir)
	if len(e.gh.Calls()) != 1 || len(e.gl.Calls()) != 1 {
		t.Fatalf("the second run sent again: GitHub %d, GitLab %d", len(e.gh.Calls()), len(e.gl.Calls()))
	}
	if !strings.Contains(r.stdout, "(github report: accepted)") || !strings.Contains(r.stdout, "(gitlab report: accepted)") {
		t.Errorf("second run's text report:\n%s", r.stdout)
	}

	r = e.run(t, io, "reports", "list", "--db", "sqlite:"+e.db, "--format", "json")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, `"state":"accepted"`) {
		t.Fatalf("reports list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r2 := e.run(t, io, "reports", "list", "--db", "sqlite:"+e.db, "--issuer", "gitlab")
	if r2.code != 0 || !strings.Contains(r2.stdout, "gitlab-pat") || strings.Contains(r2.stdout, "github-pat") {
		t.Fatalf("reports list --issuer gitlab:\n%s%s", r2.stdout, r2.stderr)
	}
	db, err := os.ReadFile(e.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []patterns.Secret{e.ours, e.ghp, e.glpat} {
		if strings.Contains(r.stdout+r.stderr+r2.stdout, s.Reveal()) || bytes.Contains(db, []byte(s.Reveal())) {
			t.Fatal("a plaintext token in the output or the store")
		}
	}
}

// Without a store named, the embedded default store queues the reports;
// an issuer endpoint in clear over the network is refused.
func TestScanRevokeOthersDefaults(t *testing.T) {
	t.Parallel()
	e := newOthersEnv(t)
	io := e.env(time.Now())
	r := e.run(t, io, "scan", "--revoke-others", "--format", "json", e.dir)
	if r.code != exitFindings || len(e.gh.Calls()) != 1 {
		t.Fatalf("exit %d, GitHub calls %d; stderr %s", r.code, len(e.gh.Calls()), r.stderr)
	}
	for _, f := range jsonFindings(t, r.stdout) {
		if f.TokenHash == e.ours.Hash() && (f.Action != "none" || f.Status != "") {
			t.Errorf("our token without --revoke or --db: %+v", f)
		}
	}
	r = e.run(t, io, "scan", "--revoke-others", "--github-api-url", "http://api.github.example/", e.dir)
	if r.code != exitFail || !strings.Contains(r.stderr, "plain http only to a loopback address") {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	if r := e.run(t, io, "reports", "list", "--state", "sent"); r.code != exitFail {
		t.Fatalf("reports list --state sent: exit %d", r.code)
	}
}

// A process killed (SIGKILL) after it queued a report and while its
// request was in flight leaves a pending report, with no token in the
// store; the next run that finds the token, once the lease is over,
// sends it.
func TestRevokeOthersSurvivesKill9(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	e := newOthersEnv(t)
	hang := make(chan struct{})
	arrived := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-hang // never answers: the process dies first
	}))
	t.Cleanup(func() { close(hang); slow.Close() })
	bin := buildBinary(t, t.TempDir())
	cmd := exec.Command(bin, "scan", "--db", "sqlite:"+e.db, "--revoke-others", "--github-api-url", slow.URL, "--gitlab-url", e.gl.URL(), e.dir)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Dir(e.db))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the GitHub request never arrived")
	}
	_ = cmd.Process.Kill() // SIGKILL: no deferred code runs
	_ = cmd.Wait()

	st, err := sqlite.Open(context.Background(), e.db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reps, err := st.ListIssuerReports(context.Background(), reportFilter("github"))
	st.Close()
	if err != nil || len(reps) != 1 || reps[0].State != "pending" {
		t.Fatalf("after the kill: %+v, %v; want one pending GitHub report", reps, err)
	}
	// Within the dead process's lease nothing is sent; after it, the next
	// run sends the token (the clock of this run is three minutes on).
	io := e.env(time.Now().Add(3 * time.Minute))
	r := e.run(t, io, "scan", "--db", "sqlite:"+e.db, "--revoke-others", "--format", "json", e.dir)
	if r.code != exitFindings {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := e.gh.Received(); len(got) != 1 || got[0] != e.ghp.Hash() {
		t.Fatalf("GitHub received %v after the restart, want the ghp_ token", got)
	}
	db, _ := os.ReadFile(e.db)
	if bytes.Contains(db, []byte(e.ghp.Reveal())) {
		t.Fatal("the queued report holds the token")
	}
}

func reportFilter(issuer string) store.IssuerReportFilter {
	return store.IssuerReportFilter{Issuer: issuer}
}

// TestServeGitLabRevocationAPI: `leakguard serve` with GitLab's
// revocation token in its environment twin serves the Token Revocation
// API; a GitLab-style batch revokes ours and forwards the others to their
// issuers, and nothing logs a token.
func TestServeGitLabRevocationAPI(t *testing.T) {
	t.Parallel()
	e := newOthersEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const glToken = "gitlab-revocation-shared-secret-42"
	logs := &lockedBuffer{}
	vars := map[string]string{"LEAKGUARD_GITLAB_REVOCATION_TOKEN": glToken}
	sio := IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs,
		Getenv: func(k string) string { return vars[k] }, Now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--addr", addr, "--db", "sqlite:" + e.db,
			"--github-api-url", e.gh.URL(), "--gitlab-url", e.gl.URL()}, sio)
	}()
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatal("serve did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
	body, _ := json.Marshal([]map[string]string{
		{"type": "leakguard_leakguard-user", "token": e.ours.Reveal(), "location": "https://gitlab.example.org/acme/app/-/blob/main/.env"},
		{"type": "gitleaks_rule_id_github_personal_access_token", "token": e.ghp.Reveal(), "location": "https://gitlab.example.org/acme/app/-/blob/main/ci.yml"},
		{"type": "gitleaks_rule_id_gitlab_personal_access_token", "token": e.glpat.Reveal(), "location": "https://gitlab.example.org/acme/app/-/blob/main/x"},
	})
	post := func(bearer string) int {
		req, _ := http.NewRequest("POST", base+"/v1/gitlab/revoke_tokens", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong bearer: %d", code)
	}
	if code := post(glToken); code != http.StatusNoContent {
		t.Fatalf("batch: %d; logs:\n%s", code, logs.String())
	}
	if code := post(glToken); code != http.StatusNoContent {
		t.Fatalf("replay: %d", code)
	}
	if len(e.gh.Calls()) != 1 || len(e.gl.Calls()) != 1 {
		t.Fatalf("issuers got GitHub %d, GitLab %d calls; want one each", len(e.gh.Calls()), len(e.gl.Calls()))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	st, err := sqlite.Open(context.Background(), e.db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, err := st.TokenByHash(context.Background(), e.ours.Hash())
	if err != nil || tok.Valid || !strings.HasPrefix(tok.InvalidReason, "leaked: gitlab https://gitlab.example.org/") {
		t.Fatalf("our token: %+v %v", tok, err)
	}
	for _, s := range []string{e.ours.Reveal(), e.ghp.Reveal(), e.glpat.Reveal(), glToken} {
		if strings.Contains(logs.String(), s) {
			t.Fatal("serve logged a token or the GitLab secret")
		}
	}
	if strings.Contains(logs.String(), "visible to other users") {
		t.Error("warned about a secret given through the environment")
	}
}
