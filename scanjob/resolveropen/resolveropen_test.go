package resolveropen

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store/storeopen"
)

func TestLocalNeverCreatesAStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing.db")
	_, err := Local(context.Background(), "sqlite:"+path, "", patterns.Default(), storeopen.Options{Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "no token store at "+path) {
		t.Fatalf("err %v, want no token store at %s", err, path)
	}
}

func TestRemote(t *testing.T) {
	t.Parallel()
	const tok = "lgs_notarealtoken"
	tests := []struct {
		name, server, tok string
		wantErr           string // "" for success
	}{
		{"https", "https://leakguard.example.org", tok, ""},
		{"loopback http", "http://127.0.0.1:8080", " " + tok + "\n", ""},
		{"remote http", "http://leakguard.example.org", tok, "--server: "},
		{"no token", "https://leakguard.example.org", "  ", "needs a bearer token"},
		{"two tokens", "https://leakguard.example.org", tok + " " + tok, "holds whitespace"},
		{"bad url before a missing token", "ftp://x", "", "--server: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := Remote(tt.server, tt.tok, http.DefaultClient, patterns.Default())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				_ = res.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("error %q quotes the token", err)
			}
		})
	}
}
