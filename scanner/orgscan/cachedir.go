package orgscan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/dirlock"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/archive"
)

// DefaultCacheDir is where mirrors and checkpoints live when no directory
// is named: leakguard/github under $XDG_CACHE_HOME (getenv), else under
// the user cache directory, else leakguard-github in the temporary
// directory.
func DefaultCacheDir(getenv func(string) string) string {
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "leakguard", "github")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "leakguard", "github")
	}
	return filepath.Join(os.TempDir(), "leakguard-github")
}

// Options are what Open takes of the caller: what the scanner knows of
// the host its repositories live on (package github has GitHub's: the
// credentials git sends, the links of findings) and the environment.
type Options struct {
	Auth    Auth        // Mirrors.Auth; nil: no credentials
	BlobURL BlobURLFunc // Scanner.BlobURL
	BaseEnv []string    // Mirrors.BaseEnv: the environment git starts from (nil = the process's)
	// NoArchives scans archives in blobs (zip, jar, tgz, ...) as plain
	// bytes instead of opening them (Scanner.Archives nil).
	NoArchives bool
}

// Open builds the repository scanner over the cache directory dir
// (created, mode 0700, when missing) for the token formats of cat, with
// o's credentials, links and environment. It holds dir locked against
// other processes (package dirlock) until release, so that two never
// update the same mirrors and checkpoints at once: a directory another
// process holds is a *dirlock.HeldError.
func Open(dir string, o Options, cat *patterns.Catalog, log zerolog.Logger) (sc *Scanner, release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("cache directory: %w", err)
	}
	release, err = dirlock.Lock(dir)
	var held *dirlock.HeldError
	switch {
	case errors.As(err, &held):
		return nil, nil, err
	case err != nil:
		return nil, nil, fmt.Errorf("cache directory lock: %w", err)
	}
	sc = &Scanner{
		Mirrors: &Mirrors{Dir: dir, Auth: o.Auth, BaseEnv: o.BaseEnv, Log: log},
		Scanner: scanner.New(cat),
		BlobURL: o.BlobURL,
		Log:     log,
	}
	if !o.NoArchives {
		sc.Archives = &archive.Limits{} // the defaults, as scan --git's
	}
	return sc, release, nil
}
