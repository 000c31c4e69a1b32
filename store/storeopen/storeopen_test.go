package storeopen

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
			st, err := Open(context.Background(), c.dsn, Options{Getenv: getenv, Log: zerolog.Nop(), Now: time.Now})
			if err != nil {
				t.Fatalf("Open(%q): %v", c.dsn, err)
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
		{"mysql://root:hunter2@localhost/db", ErrBadDSN, "mysql:"},
		{"/var/lib/leakguard.db", ErrBadDSN, "sqlite:/var/lib/leakguard.db"},
		{"sqlite:", ErrBadDSN, "sqlite:PATH"},
		{"postgres://lg:hunter2@127.0.0.1:1/lg?connect_timeout=2", store.ErrUnavailable, "127.0.0.1:1"},
	}
	for _, c := range cases {
		_, err := Open(context.Background(), c.dsn, Options{Log: zerolog.Nop(), Now: time.Now})
		if err == nil {
			t.Errorf("Open(%q) succeeded, want error", c.dsn)
			continue
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("Open(%q) err = %v, want %v", c.dsn, err, c.want)
		}
		if msg := err.Error(); !strings.Contains(msg, c.mentions) || strings.Contains(msg, "hunter2") {
			t.Errorf("Open(%q) error %q: want it to mention %q and never the password", c.dsn, msg, c.mentions)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"XDG_DATA_HOME", map[string]string{"XDG_DATA_HOME": "/xdg", "HOME": "/home/u"}, filepath.Join("/xdg", "leakguard", "leakguard.db"), false},
		{"HOME", map[string]string{"HOME": "/home/u"}, filepath.Join("/home/u", ".local", "share", "leakguard", "leakguard.db"), false},
		{"empty environment", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DefaultPath(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("DefaultPath: %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("DefaultPath = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := DefaultPath(nil); err == nil {
		t.Error("DefaultPath(nil) succeeded: a nil getenv must read an empty environment")
	}
}
