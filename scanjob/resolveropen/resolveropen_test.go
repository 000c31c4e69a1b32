package resolveropen

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/issuers/issuersopen"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
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

// TestOpenRecordsBypasses: what Open returns for --db records a
// pre-receive bypass on the store (revoker.BypassRecorder), with or
// without --revoke-others wrapping it.
func TestOpenRecordsBypasses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		others *issuersopen.Config
	}{
		{"db", nil},
		{"db with --revoke-others", &issuersopen.Config{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "lg.db")
			so := storeopen.Options{Getenv: func(string) string { return "" }}
			st, err := storeopen.Open(ctx, dsn, so)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			mgr := lifecycle.New(st, patterns.Default(), lifecycle.Options{})
			t.Cleanup(func() { _ = mgr.Close() })
			iss, err := mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "o", Name: "n", Actor: "test", Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Open(ctx, Config{DB: dsn, Catalog: patterns.Default(), Store: so, Others: tt.others})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = res.Close() })
			rec, ok := res.(revoker.BypassRecorder)
			if !ok {
				t.Fatalf("%T records no bypass", res)
			}
			out, err := rec.RecordBypass(ctx, revoker.Bypass{Hash: iss.Token.Hash, Repository: "/srv/git/app.git",
				Ref: "refs/heads/main", Pusher: "alice", Reason: "test fixture", Actor: "pre-receive:alice"})
			if err != nil || !out.Recorded {
				t.Fatalf("RecordBypass = %+v, %v; want recorded", out, err)
			}
			evs, err := st.Events(ctx, iss.Token.ID)
			if err != nil {
				t.Fatal(err)
			}
			if last := evs[len(evs)-1]; last.Kind != store.EventLeakReported || last.Actor != "pre-receive:alice" ||
				last.Detail != "push bypassed by alice: test fixture (push /srv/git/app.git refs/heads/main)" {
				t.Errorf("last event = %+v", last)
			}
		})
	}
}
