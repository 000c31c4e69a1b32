package gitsource

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeLeakguard writes an executable that logs its arguments and stdin to
// log and exits with code.
func fakeLeakguard(t *testing.T, log string, code int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-leakguard")
	script := "#!/bin/sh\necho \"leakguard $*\" >> " + shellQuote(log) + "\ncat >> " + shellQuote(log) +
		"\nexit " + itoa(code) + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeHook(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestInstallPreCommitHookChainsAndIsIdempotent(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	log := filepath.Join(t.TempDir(), "log")
	hook := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	writeHook(t, hook, "echo local >> "+shellQuote(log)+"\n")

	res, err := InstallHook(ctx(t), r.dir, HookPreCommit, fakeLeakguard(t, log, 0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != hook || res.Chained != hook+".local" || res.Updated {
		t.Fatalf("first install: %+v", res)
	}
	first := readFile(t, hook)
	res, err = InstallHook(ctx(t), r.dir, HookPreCommit, fakeLeakguard(t, log, 0))
	if err != nil || !res.Updated || res.Chained != "" {
		t.Fatalf("re-install: %+v, %v", res, err)
	}
	if !strings.Contains(readFile(t, hook+".local"), "echo local") {
		t.Fatal("re-install must keep the chained hook")
	}
	if strings.Count(readFile(t, hook), hookMarker) != 1 || len(first) == 0 {
		t.Fatal("hook not rewritten in place")
	}

	r.write("a.txt", "a\n")
	r.git("add", "a.txt")
	r.git("commit", "-q", "-m", "through the hook")
	if got, want := readFile(t, log), "local\nleakguard scan --staged\n"; got != want {
		t.Fatalf("hook ran %q, want %q", got, want)
	}
}

func TestPreCommitHookBlocks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		local     string
		leakguard int
		wantLog   string
	}{
		{"leakguard findings block", "", 1, "leakguard scan --staged\n"},
		{"failing chained hook stops first", "echo local >> \"$LOG\"; exit 3\n", 0, "local\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			log := filepath.Join(t.TempDir(), "log")
			if tc.local != "" {
				writeHook(t, filepath.Join(r.dir, ".git", "hooks", "pre-commit"), "LOG="+shellQuote(log)+"\n"+tc.local)
			}
			if _, err := InstallHook(ctx(t), r.dir, HookPreCommit, fakeLeakguard(t, log, tc.leakguard)); err != nil {
				t.Fatal(err)
			}
			r.write("a.txt", "a\n")
			r.git("add", "a.txt")
			cmd := exec.Command("git", "commit", "-q", "-m", "blocked")
			cmd.Dir = r.dir
			if out, err := cmd.CombinedOutput(); err == nil {
				t.Fatalf("commit went through: %s", out)
			}
			if got := readFile(t, log); got != tc.wantLog {
				t.Fatalf("log %q, want %q", got, tc.wantLog)
			}
		})
	}
}

func TestInstallHookHonoursHooksPath(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.git("config", "core.hooksPath", ".githooks")
	sub := filepath.Join(r.dir, "sub")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := InstallHook(ctx(t), sub, HookPrePush, "/opt/leak guard/bin")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(r.dir, ".githooks", "pre-push"); res.Path != want {
		t.Fatalf("path %s, want %s", res.Path, want)
	}
	if !strings.Contains(readFile(t, res.Path), `'/opt/leak guard/bin'`) {
		t.Fatal("binary path not quoted into the hook")
	}
}

func TestPrePushHookPassesStdinToBoth(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	log := filepath.Join(t.TempDir(), "log")
	hook := filepath.Join(r.dir, ".git", "hooks", "pre-push")
	writeHook(t, hook, "echo \"local $*\" >> "+shellQuote(log)+"; cat >> "+shellQuote(log)+"\n")
	if _, err := InstallHook(ctx(t), r.dir, HookPrePush, fakeLeakguard(t, log, 0)); err != nil {
		t.Fatal(err)
	}
	line := "refs/heads/main " + strings.Repeat("a", 40) + " refs/heads/main " + strings.Repeat("0", 40)
	cmd := exec.Command("sh", hook, "origin", "https://example.org/x.git")
	cmd.Dir = r.dir
	cmd.Stdin = strings.NewReader(line + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hook: %v: %s", err, out)
	}
	want := "local origin https://example.org/x.git\n" + line + "\nleakguard hook pre-push origin https://example.org/x.git\n" + line + "\n"
	if got := readFile(t, log); got != want {
		t.Fatalf("log %q, want %q", got, want)
	}
}

func TestInstallHookRefusesToClobberLocal(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	hook := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	writeHook(t, hook, "echo one\n")
	writeHook(t, hook+".local", "echo two\n")
	if _, err := InstallHook(ctx(t), r.dir, HookPreCommit, "leakguard"); err == nil {
		t.Fatal("want an error when both the hook and its .local exist")
	}
	if !strings.Contains(readFile(t, hook), "echo one") {
		t.Fatal("existing hook was overwritten")
	}
}
