package gitsource

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/scanner"
)

func TestParseReceiveUpdates(t *testing.T) {
	t.Parallel()
	a, b, z := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("0", 40)
	for _, tc := range []struct {
		name, in string
		want     []RefUpdate
		err      bool
	}{
		{"update", a + " " + b + " refs/heads/main\n", []RefUpdate{{a, b, "refs/heads/main"}}, false},
		{"new, deleted, blank", z + " " + a + " refs/heads/new\n\n" + b + " " + z + " refs/tags/old\n",
			[]RefUpdate{{z, a, "refs/heads/new"}, {b, z, "refs/tags/old"}}, false},
		{"pre-push line", "refs/heads/main " + a + " refs/heads/main " + b + "\n", nil, true},
		{"bad oid", "xyz " + a + " refs/heads/main\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseReceiveUpdates(strings.NewReader(tc.in))
			if (err != nil) != tc.err || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("update %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if got := ReceiveRange(RefUpdate{a, z, "refs/heads/x"}); got != "" {
		t.Errorf("deletion range %q", got)
	}
	if got := ReceiveRange(RefUpdate{z, b, "refs/heads/x"}); got != b+" --not --all" {
		t.Errorf("new branch range %q", got)
	}
}

func TestPushOptionsBypassPusher(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name   string
		getenv func(string) string
		reason string
	}{
		{"none", env(), ""},
		{"one", env("GIT_PUSH_OPTION_COUNT", "1", "GIT_PUSH_OPTION_0", "leakguard.allow=test fixture"), "test fixture"},
		{"last wins", env("GIT_PUSH_OPTION_COUNT", "3", "GIT_PUSH_OPTION_0", "leakguard.allow=a", "GIT_PUSH_OPTION_1", "ci.skip",
			"GIT_PUSH_OPTION_2", "leakguard.allow=b"), "b"},
		{"no reason", env("GIT_PUSH_OPTION_COUNT", "1", "GIT_PUSH_OPTION_0", "leakguard.allow= "), ""},
		{"bare key", env("GIT_PUSH_OPTION_COUNT", "1", "GIT_PUSH_OPTION_0", "leakguard.allow"), ""},
		{"bad count", env("GIT_PUSH_OPTION_COUNT", "x", "GIT_PUSH_OPTION_0", "leakguard.allow=a"), ""},
	} {
		if got := Bypass(PushOptions(tc.getenv)); got != tc.reason {
			t.Errorf("%s: Bypass = %q, want %q", tc.name, got, tc.reason)
		}
	}
	if got := Pusher(env("USER", "git", "GL_USERNAME", "alice")); got != "alice" {
		t.Errorf("Pusher = %q, want the GitLab user over the ssh account", got)
	}
	if got := Pusher(env()); got != "" {
		t.Errorf("Pusher = %q, want none", got)
	}
}

func FuzzParseReceiveUpdates(f *testing.F) {
	f.Add(strings.Repeat("0", 40) + " " + strings.Repeat("a", 40) + " refs/heads/main\n")
	f.Add("garbage\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		ups, err := ParseReceiveUpdates(strings.NewReader(in))
		for _, u := range ups {
			if err == nil && (!isObjectID(u.Old) || !isObjectID(u.New) || strings.HasPrefix(ReceiveRange(u), "-")) {
				t.Fatalf("accepted %+v", u)
			}
		}
	})
}

// TestReceiveQuarantine pushes with the real git to a bare repository
// whose pre-receive hook records its environment and standard input and
// then waits: while it waits, the pushed objects exist only in git's
// quarantine directory. A history scan with the hook's environment as its
// base environment finds the pushed token (scanEnv keeps
// GIT_QUARANTINE_PATH, GIT_OBJECT_DIRECTORY and
// GIT_ALTERNATE_OBJECT_DIRECTORIES); without them the new tip is unknown.
func TestReceiveQuarantine(t *testing.T) {
	t.Parallel()
	work := newRepo(t)
	bare, spool := filepath.Join(t.TempDir(), "srv.git"), t.TempDir()
	work.git("init", "-q", "--bare", bare)
	hook := "#!/bin/sh\nenv > '" + spool + "/env'\ncat > '" + spool + "/stdin'\ntouch '" + spool + "/ready'\n" +
		"while [ ! -e '" + spool + "/go' ]; do sleep 0.02; done\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bare, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	work.write("a.txt", "clean\n")
	work.git("add", "-A")
	work.git("commit", "-q", "-m", "base")
	work.write("b.env", "K="+token(t, "quarantined")+"\n")
	work.git("add", "-A")
	work.git("commit", "-q", "-m", "token")

	push := exec.Command("git", "push", bare, "main")
	push.Dir = work.dir
	push.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	var pushErr bytes.Buffer
	push.Stderr = &pushErr
	if err := push.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = os.WriteFile(filepath.Join(spool, "go"), nil, 0o644)
		_ = push.Wait()
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(spool, "ready")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hook never ran: %s", pushErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	envData, _ := os.ReadFile(filepath.Join(spool, "env"))
	hookEnv := strings.Split(strings.TrimSpace(string(envData)), "\n")
	if !strings.Contains(string(envData), "GIT_QUARANTINE_PATH=") {
		t.Fatalf("git set no quarantine:\n%s", envData)
	}
	stdin, _ := os.Open(filepath.Join(spool, "stdin"))
	defer stdin.Close()
	pushes, err := HookPushes(ctx(t), Git{}, HookPreReceive, stdin)
	if err != nil || len(pushes) != 1 {
		t.Fatalf("pushes %+v, %v", pushes, err)
	}
	scan := func(env []string) ([]scanner.Finding, error) {
		var out []scanner.Finding
		err := ScanHistory(ctx(t), HistoryOptions{Repo: bare, Range: pushes[0].Range, BaseEnv: env}, newScanner(),
			func(f scanner.Finding) error { out = append(out, f); return nil })
		return out, err
	}
	got, err := scan(hookEnv)
	if err != nil || len(got) != 1 || got[0].Path != "b.env" || got[0].Commit == "" {
		t.Fatalf("scan in the hook's environment: %+v, %v", got, err)
	}
	if _, err := scan(StripGitEnv(hookEnv)); err == nil {
		t.Error("a scan without the quarantine variables read the quarantined objects")
	}
}
