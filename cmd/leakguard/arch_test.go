package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection keeps the layering of STYLE.md §1: cmd → webhook →
// revoker → store ← store/*; webhook → github → revoker; scanner →
// patterns; cmd → orgscan → revoker, scanner; redisstreams → orgscan/queue.
// Each package's transitive dependencies (go list -deps) must avoid the
// listed prefixes.
func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	const mod = "github.com/leakguard/leakguard/"
	io := []string{"net/http", "database/sql", "github.com/redis/", "github.com/jackc/", "modernc.org/sqlite"}
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"patterns", append([]string{mod + "scanner", mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		{"scanner", append([]string{mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		{"scanner/diff", append([]string{mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		{"scanner/report", append([]string{mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		{"scanner/gitsource", append([]string{mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		{"store", append([]string{mod + "scanner", mod + "revoker", mod + "webhook", mod + "store/"}, io...)},
		{"store/sqlite", []string{mod + "scanner", mod + "revoker", mod + "webhook", "net/http", "github.com/redis/"}},
		{"store/postgres", []string{mod + "scanner", mod + "revoker", mod + "webhook", "net/http", "github.com/redis/"}},
		{"store/rediscache", []string{mod + "scanner", mod + "revoker", mod + "webhook", "net/http", "github.com/jackc/", "modernc.org/sqlite"}},
		{"revoker", append([]string{mod + "webhook", mod + "github", mod + "store/"}, io...)},
		{"webhook", []string{mod + "cmd"}},
		// github is what leakguard knows of GitHub: its REST client and
		// partner protocol over HTTP, alert sync through the revoker; no
		// HTTP handler of ours (webhook), no store adapter, SQL or Redis.
		{"github", []string{mod + "cmd", mod + "webhook", mod + "store/", mod + "redisstreams",
			"database/sql", "github.com/redis/", "github.com/jackc/", "modernc.org/sqlite"}},
		// orgscan is the organisation-scan protocol: no HTTP, SQL or Redis,
		// no adapter; redisstreams is its queue and knows only the queue's
		// vocabulary (orgscan/queue), not the scanner, the revoker or stores.
		{"orgscan", append([]string{mod + "cmd", mod + "webhook", mod + "store/", mod + "redisstreams"}, io...)},
		{"orgscan/queue", append([]string{mod + "scanner", mod + "store", mod + "revoker", mod + "webhook", mod + "patterns"}, io...)},
		{"redisstreams", []string{mod + "cmd", mod + "webhook", mod + "store", mod + "revoker", mod + "scanner", "net/http", "database/sql", "github.com/jackc/", "modernc.org/sqlite"}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("go", "list", "-deps", mod+tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.pkg, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, bad := range tt.forbidden {
					if dep == bad || strings.HasPrefix(dep, bad) {
						t.Errorf("%s depends on %s (forbidden: %s)", tt.pkg, dep, bad)
					}
				}
			}
		})
	}
}
