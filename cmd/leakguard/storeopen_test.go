package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/store"
)

func TestOpenStoreSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		dsn  string
		env  map[string]string
		want string // file that must exist afterwards
	}{
		{"default in XDG_DATA_HOME", "", map[string]string{"XDG_DATA_HOME": filepath.Join(dir, "xdg")},
			filepath.Join(dir, "xdg", "leakguard", "leakguard.db")},
		{"default under HOME", "", map[string]string{"HOME": filepath.Join(dir, "home")},
			filepath.Join(dir, "home", ".local", "share", "leakguard", "leakguard.db")},
		{"relative XDG ignored", "", map[string]string{"XDG_DATA_HOME": "rel", "HOME": filepath.Join(dir, "h2")},
			filepath.Join(dir, "h2", ".local", "share", "leakguard", "leakguard.db")},
		{"sqlite:PATH", "sqlite:" + filepath.Join(dir, "a.db"), nil, filepath.Join(dir, "a.db")},
		{"sqlite://PATH", "sqlite://" + filepath.Join(dir, "b.db"), nil, filepath.Join(dir, "b.db")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) string { return c.env[k] }
			st, err := openStoreEnv(context.Background(), c.dsn, getenv, zerolog.Nop(), time.Now)
			if err != nil {
				t.Fatalf("openStoreEnv(%q): %v", c.dsn, err)
			}
			defer st.Close()
			if err := st.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(c.want)
			if err != nil {
				t.Fatalf("database file: %v", err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("file mode = %o, want 600", got)
			}
			if c.dsn == "" {
				di, err := os.Stat(filepath.Dir(c.want))
				if err != nil || di.Mode().Perm() != 0o700 {
					t.Errorf("data directory mode = %v (%v), want 700", di.Mode().Perm(), err)
				}
			}
		})
	}
}

func TestOpenStoreErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dsn      string
		want     error  // sentinel, if any
		mentions string // the message must say this
	}{
		{"mysql://root:hunter2@localhost/db", nil, "mysql:"},
		{"/var/lib/leakguard.db", nil, "sqlite:/var/lib/leakguard.db"},
		{"sqlite:", nil, "sqlite:PATH"},
		{"postgres://lg:hunter2@127.0.0.1:1/lg?connect_timeout=2", store.ErrUnavailable, "127.0.0.1:1"},
	}
	for _, c := range cases {
		_, err := openStoreEnv(context.Background(), c.dsn, func(string) string { return "" }, zerolog.Nop(), time.Now)
		if err == nil {
			t.Errorf("openStoreEnv(%q) succeeded, want error", c.dsn)
			continue
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("openStoreEnv(%q) err = %v, want %v", c.dsn, err, c.want)
		}
		if msg := err.Error(); !strings.Contains(msg, c.mentions) || strings.Contains(msg, "hunter2") {
			t.Errorf("openStoreEnv(%q) error %q: want it to mention %q and never the password", c.dsn, msg, c.mentions)
		}
	}
}
