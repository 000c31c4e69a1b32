package orgscan

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/dirlock"
	"github.com/leakguard/leakguard/patterns"
)

func TestDefaultCacheDir(t *testing.T) {
	t.Parallel()
	env := map[string]string{"XDG_CACHE_HOME": "/xdg"}
	if got, want := DefaultCacheDir(func(k string) string { return env[k] }), filepath.Join("/xdg", "leakguard", "github"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := DefaultCacheDir(func(string) string { return "" }); filepath.Base(got) != "github" && filepath.Base(got) != "leakguard-github" {
		t.Errorf("without XDG_CACHE_HOME: %q", got)
	}
}

func TestOpenLocksTheCache(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no flock: the cache directory is not locked")
	}
	dir := filepath.Join(t.TempDir(), "cache")
	sc, release, err := Open(dir, Options{}, patterns.Default(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if sc.Mirrors.Dir != dir {
		t.Errorf("mirrors in %q, want %q", sc.Mirrors.Dir, dir)
	}
	var held *dirlock.HeldError
	if _, _, err := Open(dir, Options{}, patterns.Default(), zerolog.Nop()); !errors.As(err, &held) {
		t.Errorf("second Open: %v, want a *dirlock.HeldError", err)
	}
	release()
	_, again, err := Open(dir, Options{}, patterns.Default(), zerolog.Nop())
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
