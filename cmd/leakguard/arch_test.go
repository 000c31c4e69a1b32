package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencyDirection keeps the layering of docs/architecture.md: each
// package's transitive dependencies (go list -deps) must avoid the listed
// prefixes (TestEveryPackageHasADirection states what each may import).
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
		// scanner/archive opens archives for the walker: a leaf that reads
		// the readers it is given and knows nothing of the project.
		{"scanner/archive", append([]string{mod + "patterns", mod + "store", mod + "revoker", mod + "lifecycle", mod + "webhook",
			mod + "github", mod + "gitlab", mod + "issuers", mod + "orgscan", mod + "redisstreams", mod + "internal/"}, io...)},
		{"scanner/diff", append([]string{mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		{"scanner/report", append([]string{mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		{"scanner/gitsource", append([]string{mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		{"scanner/ignore", append([]string{mod + "store", mod + "revoker", mod + "webhook"}, io...)},
		// scanjob is one scan: inputs, findings, the resolver, the result;
		// it gets its store or server opened (no adapter, no HTTP) and
		// writes no report.
		{"scanjob", append([]string{mod + "cmd", mod + "webhook", mod + "github", mod + "store/", mod + "redisstreams"}, io...)},
		// scanjob/resolveropen opens a scan's resolver (a store through
		// storeopen, or a server's client); nothing of organisation scans.
		{"scanjob/resolveropen", []string{mod + "cmd", mod + "orgscan", mod + "redisstreams", mod + "internal/"}},
		{"store", append([]string{mod + "scanner", mod + "revoker", mod + "webhook", mod + "store/"}, io...)},
		{"store/sqlite", []string{mod + "scanner", mod + "revoker", mod + "webhook", "net/http", "github.com/redis/"}},
		{"store/postgres", []string{mod + "scanner", mod + "revoker", mod + "webhook", "net/http", "github.com/redis/"}},
		{"store/rediscache", []string{mod + "scanner", mod + "revoker", mod + "webhook", "net/http", "github.com/jackc/", "modernc.org/sqlite"}},
		{"revoker", append([]string{mod + "webhook", mod + "github", mod + "lifecycle", mod + "store/"}, io...)},
		// lifecycle is the token lifecycle beside the revoker: stores only
		// through store.Store (no adapter, SQL driver or Redis), no HTTP.
		{"lifecycle", append([]string{mod + "cmd", mod + "webhook", mod + "github", mod + "store/", mod + "redisstreams"}, io...)},
		// lifecycle/tokencli is what the token commands read and print:
		// answers shaped like the API's (webhook), no store adapter.
		{"lifecycle/tokencli", []string{mod + "cmd", mod + "store/", mod + "redisstreams", mod + "orgscan", mod + "scanjob",
			"github.com/redis/", "github.com/jackc/", "modernc.org/sqlite"}},
		// storetest is only the conformance suite: no adapter, no service.
		{"store/storetest", append([]string{mod + "store/sqlite", mod + "store/postgres", mod + "store/rediscache", mod + "internal/"}, io...)},
		{"webhook", []string{mod + "cmd"}},
		// github is what leakguard knows of GitHub: its REST client and
		// partner protocol over HTTP, alert sync through the revoker; no
		// HTTP handler of ours (webhook), no store adapter, SQL or Redis.
		{"github", []string{mod + "cmd", mod + "webhook", mod + "store/", mod + "redisstreams",
			"database/sql", "github.com/redis/", "github.com/jackc/", "modernc.org/sqlite"}},
		// gitlab is what leakguard knows of GitLab: the self-revoke sender
		// and the Token Revocation API's wire format; no HTTP handler of
		// ours (webhook), no store, SQL or Redis.
		// gitlab speaks GitLab's protocols: HTTP, the issuers' vocabulary,
		// but no store adapter, SQL, Redis or scanner.
		{"gitlab", []string{mod + "cmd", mod + "webhook", mod + "store/", mod + "lifecycle",
			mod + "github", mod + "redisstreams", mod + "orgscan", mod + "scanner",
			"database/sql", "github.com/redis/", "github.com/jackc/", "modernc.org/sqlite"}},
		// issuers reports tokens to other issuers over the store's queue
		// and the one leak step; the wire protocols are adapters (github,
		// gitlab) behind its Sender (it names HTTP statuses, net/http's
		// table, and sends nothing itself): no adapter, SQL or Redis.
		{"issuers", []string{mod + "cmd", mod + "webhook", mod + "github", mod + "gitlab", mod + "store/", mod + "lifecycle",
			"database/sql", "github.com/redis/", "github.com/jackc/", "modernc.org/sqlite"}},
		// issuersopen wires the senders: no SQL or Redis of its own.
		{"issuers/issuersopen", []string{mod + "cmd", mod + "webhook", mod + "store/", "github.com/redis/"}},
		// orgscan is the organisation-scan protocol: no HTTP, SQL or Redis,
		// no adapter; redisstreams is its queue and knows only the queue's
		// vocabulary (orgscan/queue), not the scanner, the revoker or stores.
		{"orgscan", append([]string{mod + "cmd", mod + "webhook", mod + "store/", mod + "redisstreams"}, io...)},
		{"orgscan/queue", append([]string{mod + "scanner", mod + "store", mod + "revoker", mod + "webhook", mod + "patterns"}, io...)},
		{"redisstreams", []string{mod + "cmd", mod + "webhook", mod + "store", mod + "revoker", mod + "scanner", "net/http", "database/sql", "github.com/jackc/", "modernc.org/sqlite"}},
		// storeopen turns a DSN into a store: it knows the adapters and
		// nothing above the store (no HTTP, revoker, scanner or GitHub).
		{"store/storeopen", []string{mod + "cmd", mod + "webhook", mod + "revoker", mod + "scanner", mod + "github", mod + "lifecycle", "net/http"}},
		// internal/logbuf, internal/interrupt, internal/progress and
		// internal/dirlock are process plumbing, internal/budget and
		// internal/wait leaf helpers; none knows anything of the project.
		{"internal/logbuf", append(projectPkgs(mod), io...)},
		{"internal/interrupt", append(projectPkgs(mod), io...)},
		{"internal/progress", append(projectPkgs(mod), io...)},
		{"internal/dirlock", append(projectPkgs(mod), io...)},
		{"internal/term", append(projectPkgs(mod), io...)},
		{"internal/buildinfo", append(projectPkgs(mod), io...)},
		{"internal/budget", append(projectPkgs(mod), io...)},
		{"internal/wait", append(projectPkgs(mod), io...)},
		// internal/endpoint is the outbound URL rule and no-redirect
		// client: HTTP, but nothing of the project, SQL or Redis.
		{"internal/endpoint", append(projectPkgs(mod), "database/sql", "github.com/redis/", "github.com/jackc/", "modernc.org/sqlite")},
		// internal/serve is the serve process (store, HTTP server, sweeper,
		// deliverer): nothing of scans, organisation scans or the queue.
		{"internal/serve", []string{mod + "cmd", mod + "scanjob", mod + "scanner/", mod + "orgscan", mod + "redisstreams"}},
		// internal/demo tours the embedded store only: no PostgreSQL or Redis.
		{"internal/demo", []string{mod + "cmd", mod + "store/postgres", mod + "store/rediscache", "github.com/redis/", "github.com/jackc/"}},
	}
	// Leaf helpers know nothing of the project and hold no process state
	// (their own rows above keep them so): any package may depend on
	// them, even where a row forbids internal/ as a whole.
	leaves := []string{mod + "internal/budget", mod + "internal/endpoint", mod + "internal/wait", mod + "scanner/archive"}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command("go", "list", "-deps", mod+tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.pkg, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				if slices.Contains(leaves, dep) {
					continue
				}
				for _, bad := range tt.forbidden {
					if dep == bad || strings.HasPrefix(dep, bad) {
						t.Errorf("%s depends on %s (forbidden: %s)", tt.pkg, dep, bad)
					}
				}
			}
		})
	}
}

// TestTestenvIsTestOnly: internal/testenv (shared test services,
// throw-away servers) is for tests; no package of the build depends on it.
func TestTestenvIsTestOnly(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	const testenv = "github.com/leakguard/leakguard/internal/testenv"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`,
		"github.com/leakguard/leakguard/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if imp == testenv {
				t.Errorf("%s imports %s outside its tests", f[0], testenv)
			}
		}
	}
}

// projectPkgs are the project's domain and adapter packages (mod is the
// module path with a trailing slash), for packages that must know none.
func projectPkgs(mod string) []string {
	return []string{mod + "patterns", mod + "scanner", mod + "store", mod + "revoker",
		mod + "lifecycle", mod + "webhook", mod + "github", mod + "gitlab", mod + "issuers", mod + "orgscan", mod + "redisstreams"}
}

// allowedImports states, for every package of the module, the project
// packages it may import directly (its non-test imports); "." is the root
// vocabulary package. Arrows point one way (docs/architecture.md): the
// vocabulary and patterns at the bottom, then scanner and store, the
// revoker above the store, lifecycle above the revoker, the adapters
// (store/*, github, webhook, redisstreams) beside or above what they
// adapt, and cmd and the internal wiring packages on top. A new package
// needs a row, and a new arrow a reason.
var allowedImports = map[string][]string{
	".":                         {},
	"patterns":                  {"."}, // the scope rule ([scopes] allowed) is the vocabulary's
	"scanner":                   {".", "patterns", "scanner/archive"},
	"scanner/archive":           {},
	"scanner/diff":              {},
	"scanner/ignore":            {"."},
	"scanner/gitsource":         {".", "internal/budget", "scanner", "scanner/archive", "scanner/gitsource/gitpack"},
	"scanner/gitsource/gitpack": {},
	"scanner/report":            {".", "patterns", "scanner"},
	"scanner/orgscan":           {".", "internal/dirlock", "patterns", "scanner", "scanner/archive", "scanner/gitsource"},
	"store":                     {"."},
	"store/sqlite":              {".", "store"},
	"store/postgres":            {".", "store"},
	"store/rediscache":          {".", "internal/wait", "store"},
	"store/storeopen":           {"store", "store/postgres", "store/rediscache", "store/sqlite"},
	"store/storetest":           {".", "patterns", "store"},
	"revoker":                   {".", "patterns", "store"},
	"revoker/resolvertest":      {".", "patterns", "revoker"},
	"lifecycle":                 {".", "patterns", "revoker", "store"},
	"lifecycle/tokencli":        {".", "internal/interrupt", "lifecycle", "patterns", "scanner/report", "store", "webhook"},
	"issuers":                   {".", "internal/wait", "patterns", "revoker", "store"},
	"issuers/issuersopen":       {"github", "gitlab", "internal/endpoint", "issuers", "patterns", "revoker", "store"},
	"issuers/reportcli":         {".", "scanner/report", "store"},
	"github":                    {".", "internal/endpoint", "internal/wait", "issuers", "patterns", "revoker", "scanner"},
	"github/githubtest":         {},
	"github/partnertest":        {},
	"gitlab":                    {".", "internal/endpoint", "issuers", "patterns"},
	"gitlab/gitlabtest":         {},
	"webhook":                   {".", "github", "gitlab", "internal/budget", "internal/endpoint", "issuers", "lifecycle", "patterns", "revoker", "store"},
	"orgscan":                   {".", "orgscan/queue", "revoker", "scanner", "scanner/orgscan", "scanner/report"},
	"orgscan/queue":             {},
	"orgscan/queuetest":         {"orgscan", "orgscan/queue"},
	"redisstreams":              {"internal/wait", "orgscan/queue"},
	"scanjob":                   {".", "patterns", "revoker", "scanner", "scanner/archive", "scanner/diff", "scanner/gitsource", "scanner/ignore", "scanner/report"},
	"scanjob/resolveropen":      {"issuers/issuersopen", "patterns", "revoker", "store", "store/storeopen", "webhook"},
	"internal/budget":           {},
	"internal/demo":             {".", "lifecycle", "patterns", "revoker", "scanner", "store", "store/sqlite", "webhook"},
	"internal/dirlock":          {},
	"internal/endpoint":         {},
	"internal/interrupt":        {},
	"internal/logbuf":           {},
	"internal/progress":         {},
	"internal/serve":            {"github", "issuers", "issuers/issuersopen", "lifecycle", "patterns", "revoker", "store", "store/storeopen", "webhook"},
	"internal/testenv":          {},
	"internal/wait":             {},
	"internal/term":             {},
	"internal/buildinfo":        {},
	"benchmarks/bare":           {},
	"benchmarks/mint":           {"lifecycle", "patterns", "store/sqlite"},
	"benchmarks/plant":          {"patterns"},
	"cmd/leakguard": {".", "github", "internal/demo", "issuers/issuersopen", "issuers/reportcli", "internal/dirlock", "internal/interrupt", "internal/logbuf", "internal/term", "internal/buildinfo",
		"internal/progress", "internal/serve", "lifecycle", "lifecycle/tokencli", "orgscan", "patterns",
		"redisstreams", "revoker", "scanjob", "scanjob/resolveropen", "scanner", "scanner/gitsource",
		"scanner/orgscan", "scanner/report", "store", "store/storeopen"},
}

// TestEveryPackageHasADirection checks every package of the module against
// allowedImports: each has a row, and imports no project package its row
// does not name.
func TestEveryPackageHasADirection(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	const mod = "github.com/leakguard/leakguard"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}", mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	rel := func(p string) string {
		if p == mod {
			return "."
		}
		return strings.TrimPrefix(p, mod+"/")
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		allowed, ok := allowedImports[rel(pkg)]
		if !ok {
			t.Errorf("package %s has no row in allowedImports: say what it may import", rel(pkg))
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if imp != mod && !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			if !slices.Contains(allowed, rel(imp)) {
				t.Errorf("%s imports %s, which its row in allowedImports does not allow", rel(pkg), rel(imp))
			}
		}
	}
}
