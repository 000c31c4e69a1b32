package gitsource

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/leakguard/leakguard/scanner"
)

// TestBaseEnvironment: a Git's base environment stands in for the
// process's (here, its GIT_DIR locates the repository) and goes through
// the same hardening (its GIT_CONFIG_PARAMETERS runs nothing). The process
// environment is not touched, so it runs in parallel.
func TestBaseEnvironment(t *testing.T) {
	t.Parallel()
	h := newHostile(t)
	h.signHead(pgpSignature)
	h.stage()
	base := append(os.Environ(),
		"GIT_DIR="+filepath.Join(h.dir, ".git"),
		"GIT_CONFIG_PARAMETERS='log.showsignature'='true' 'gpg.program'='"+h.prog+"'")
	elsewhere := t.TempDir()
	history := collect(t, func(emit func(scanner.Finding) error) error {
		return ScanHistory(ctx(t), HistoryOptions{Repo: elsewhere, BaseEnv: base}, newScanner(), emit)
	})
	if len(history) == 0 {
		t.Error("history scan through the base environment's GIT_DIR found nothing")
	}
	staged := collect(t, func(emit func(scanner.Finding) error) error {
		return ScanStaged(ctx(t), StagedOptions{Repo: h.dir, BaseEnv: base}, newScanner(), emit)
	})
	if len(staged) == 0 {
		t.Error("staged scan found nothing")
	}
	if data, _ := os.ReadFile(h.marker); len(data) > 0 {
		t.Fatalf("a scan ran the base environment's program:\n%s", data)
	}
	hooks, err := Git{Dir: elsewhere, BaseEnv: base}.hooksDir(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hooks, filepath.Join(h.dir, ".git", "hooks"); got != want {
		t.Errorf("hooks directory = %q, want %q (the base environment's GIT_DIR)", got, want)
	}
}
