package gitsource

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/scanner"
)

// hostile is a repository whose configuration tries to make git run a
// program: any run of that program appends a line to marker.
type hostile struct {
	*testRepo
	prog, marker string
}

// newHostile builds a repository with a committed token (a.txt) and a
// staged one (b.txt). prog is a program that records its runs in marker.
func newHostile(t *testing.T) *hostile {
	t.Helper()
	h := &hostile{testRepo: newRepo(t)}
	bin := t.TempDir()
	h.marker = filepath.Join(bin, "marker")
	h.prog = filepath.Join(bin, "prog")
	script := "#!/bin/sh\necho \"ran: $0 $*\" >> " + shellQuote(h.marker) + "\nexit 0\n"
	if err := os.WriteFile(h.prog, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h.write("a.txt", "old line\n"+token(t, "committed")+"\n")
	h.commit("a@example.org", "add a")
	return h
}

// stage stages a second token, so staged scans have something to report.
func (h *hostile) stage() {
	h.t.Helper()
	h.write("b.txt", token(h.t, "staged")+"\n")
	h.git("add", "b.txt")
}

// appendConfig appends raw text to the repository's own config file. It is
// written directly (not with `git config`), and last, so that no setup
// command runs with the hostile configuration.
func (h *hostile) appendConfig(text string) {
	h.t.Helper()
	appendFile(h.t, filepath.Join(h.dir, ".git", "config"), text)
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// signHead rewrites HEAD as the same commit carrying a signature header
// (sig, whose lines git hands to the verifying program whatever they are).
func (h *hostile) signHead(sig string) {
	h.t.Helper()
	raw := h.git("cat-file", "commit", "HEAD")
	head, msg, _ := strings.Cut(raw, "\n\n")
	header := "gpgsig " + strings.ReplaceAll(strings.TrimSpace(sig), "\n", "\n ")
	signed := filepath.Join(h.t.TempDir(), "signed")
	if err := os.WriteFile(signed, []byte(head+"\n"+header+"\n\n"+msg+"\n"), 0o644); err != nil {
		h.t.Fatal(err)
	}
	h.git("update-ref", "HEAD", h.git("hash-object", "-w", "-t", "commit", signed))
}

// partialClone replaces the repository with a blobless clone of it (over
// file://, as a promisor remote) whose history blobs are missing, with a
// change staged: reading an old blob would trigger a lazy fetch.
func (h *hostile) partialClone() {
	h.t.Helper()
	h.write("a.txt", "rewritten\n")
	h.commit("a@example.org", "drop the token from a.txt")
	h.git("config", "uploadpack.allowFilter", "true")
	dir := h.t.TempDir()
	h.git("clone", "-q", "--filter=blob:none", "file://"+h.dir, dir)
	h.testRepo = &testRepo{t: h.t, dir: dir}
	h.git("config", "user.email", "dev@example.org")
	h.stage()
}

const pgpSignature = `-----BEGIN PGP SIGNATURE-----

iQEzBAABCAAdFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAFAmVnZXQACgkQAAAAAAAAAAA=
=AAAA
-----END PGP SIGNATURE-----`

const sshSignature = `-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgNC4AAAAAAAAAAAAAAAAAAAAAAAAA
-----END SSH SIGNATURE-----`

const x509Signature = `-----BEGIN SIGNED MESSAGE-----
MIAGCSqGSIb3DQEHAqCAMIACAQExDTALBglghkgBZQMEAgEwgAYJKoZIhvcNAQcBAAA=
-----END SIGNED MESSAGE-----`

// assertTriggers runs a plain git command (no protection) and checks that
// it ran the program, then forgets that run.
func (h *hostile) assertTriggers(args ...string) {
	h.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = h.dir
	cmd.Env = append([]string{"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}, os.Environ()...)
	cmd.Stdin = strings.NewReader("protocol=https\nhost=example.org\n\n") // for `git credential fill`
	// The program's exit status may make git fail: only its run matters.
	_ = cmd.Run()
	if _, err := os.Stat(h.marker); err != nil {
		h.t.Fatalf("plain git %s did not run the program: the case tests nothing", strings.Join(args, " "))
	}
	if err := os.Remove(h.marker); err != nil {
		h.t.Fatal(err)
	}
}

// scanKinds are the entry points an untrusted repository meets: a history
// scan (scan --git), a staged scan (pre-commit) and a pre-push scan.
var scanKinds = []struct {
	name string
	run  func(t *testing.T, dir string, emit func(scanner.Finding) error) error
}{
	{"history", func(t *testing.T, dir string, emit func(scanner.Finding) error) error {
		return ScanHistory(ctx(t), HistoryOptions{Repo: dir}, newScanner(), emit)
	}},
	{"staged", func(t *testing.T, dir string, emit func(scanner.Finding) error) error {
		return ScanStaged(ctx(t), StagedOptions{Repo: dir}, newScanner(), emit)
	}},
	{"pre-push", func(t *testing.T, dir string, emit func(scanner.Finding) error) error {
		tip, err := Git{Dir: dir}.Output(ctx(t), nil, "rev-parse", "HEAD")
		if err != nil {
			return err
		}
		u := PushUpdate{"refs/heads/main", strings.TrimSpace(string(tip)), "refs/heads/main", strings.Repeat("0", 40)}
		rng, err := PushRange(ctx(t), Git{Dir: dir}, u)
		if err != nil {
			return err
		}
		return ScanHistory(ctx(t), HistoryOptions{Repo: dir, Range: rng}, newScanner(), emit)
	}},
}

// assertRunsNothing runs every kind of scan on dir and fails if the
// program ran. A scan may fail with a git error (exit 2) but must not fail
// otherwise; with mustFind it must succeed and report tokens.
func assertRunsNothing(t *testing.T, dir, marker string, mustFind bool) {
	t.Helper()
	for _, k := range scanKinds {
		var n int
		err := k.run(t, dir, func(scanner.Finding) error { n++; return nil })
		if data, _ := os.ReadFile(marker); len(data) > 0 {
			t.Fatalf("%s scan ran the repository's program:\n%s", k.name, data)
		}
		switch {
		case err != nil && !errors.Is(err, ErrGit):
			t.Errorf("%s scan: %v (want success or a git error)", k.name, err)
		case mustFind && err != nil:
			t.Errorf("%s scan: %v", k.name, err)
		case mustFind && n == 0:
			t.Errorf("%s scan found nothing", k.name)
		}
	}
}

func TestUntrustedRepositoryRunsNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(h *hostile)
		// trigger is a plain git command that does run the program with
		// this configuration (nil: none without a terminal or a network),
		// proof that the case is a real attack.
		trigger  []string
		mustFind bool
	}{
		{"log.showSignature with gpg.program and a signed commit", func(h *hostile) {
			h.signHead(pgpSignature)
			h.stage()
			h.appendConfig("[log]\n\tshowSignature = true\n[gpg]\n\tprogram = " + h.prog + "\n")
		}, []string{"log", "-1"}, true},
		{"gpg.format ssh with gpg.ssh.program", func(h *hostile) {
			h.signHead(sshSignature)
			h.stage()
			h.appendConfig("[log]\n\tshowSignature = true\n[gpg]\n\tformat = ssh\n[gpg \"ssh\"]\n\tprogram = " + h.prog +
				"\n\tallowedSignersFile = " + h.marker + ".signers\n\tdefaultKeyCommand = " + h.prog + "\n")
			appendFile(h.t, h.marker+".signers", "dev@example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDQu\n")
		}, []string{"log", "-1"}, true},
		{"gpg.x509.program with an x509 signature", func(h *hostile) {
			h.signHead(x509Signature)
			h.stage()
			h.appendConfig("[log]\n\tshowSignature = true\n[gpg \"x509\"]\n\tprogram = " + h.prog + "\n")
		}, []string{"log", "-1"}, true},
		{"core.pager and pager.log", func(h *hostile) {
			h.stage()
			h.appendConfig("[core]\n\tpager = " + h.prog + "\n[pager]\n\tlog = " + h.prog + "\n\tdiff = " + h.prog + "\n")
		}, nil, true},
		{"core.fsmonitor", func(h *hostile) {
			h.stage()
			h.appendConfig("[core]\n\tfsmonitor = " + h.prog + "\n")
		}, []string{"status"}, true},
		{"diff.external", func(h *hostile) {
			h.stage()
			h.appendConfig("[diff]\n\texternal = " + h.prog + "\n")
		}, []string{"diff", "--cached"}, true},
		{"diff driver command and textconv", func(h *hostile) {
			h.write(".gitattributes", "* diff=evil\n")
			h.write("a.txt", "new line\n"+token(h.t, "modified")+"\n")
			h.git("add", "-A")
			h.appendConfig("[diff \"evil\"]\n\tcommand = " + h.prog + "\n\ttextconv = " + h.prog + "\n\tcachetextconv = true\n")
		}, []string{"diff", "--cached"}, true},
		{"filter driver process, smudge and clean", func(h *hostile) {
			h.write(".gitattributes", "* filter=evil\n")
			h.stage()
			h.appendConfig("[filter \"evil\"]\n\tprocess = " + h.prog + "\n\tsmudge = " + h.prog +
				"\n\tclean = " + h.prog + "\n\trequired = true\n")
		}, []string{"checkout", "HEAD", "--", "a.txt"}, true},
		{"credential.helper and core.askPass", func(h *hostile) {
			h.stage()
			h.appendConfig("[credential]\n\thelper = !" + h.prog + "\n[core]\n\taskPass = " + h.prog + "\n")
		}, []string{"credential", "fill"}, true},
		{"include.path", func(h *hostile) {
			h.signHead(pgpSignature)
			h.stage()
			inc := filepath.Join(h.t.TempDir(), "evil.inc")
			appendFile(h.t, inc, "[log]\n\tshowSignature = true\n[gpg]\n\tprogram = "+h.prog+"\n[core]\n\tfsmonitor = "+h.prog+"\n")
			h.appendConfig("[include]\n\tpath = " + inc + "\n")
		}, []string{"log", "-1"}, true},
		{"includeIf gitdir, relative to the config file", func(h *hostile) {
			h.signHead(pgpSignature)
			h.stage()
			appendFile(h.t, filepath.Join(h.dir, ".git", "evil.inc"), "[log]\n\tshowSignature = true\n[gpg]\n\tprogram = "+h.prog+"\n")
			h.appendConfig("[includeIf \"gitdir:" + h.dir + "/\"]\n\tpath = evil.inc\n")
		}, []string{"log", "-1"}, true},
		{"aliases and editors", func(h *hostile) {
			h.stage()
			h.appendConfig("[alias]\n\tlog = !" + h.prog + "\n\tcat-file = !" + h.prog + "\n[core]\n\teditor = " + h.prog +
				"\n[sequence]\n\teditor = " + h.prog + "\n")
		}, []string{"tag", "-a", "editor-check"}, true},
		{"lazy fetch through remote uploadpack", func(h *hostile) {
			h.partialClone()
			h.appendConfig("[protocol \"file\"]\n\tallow = always\n[remote \"origin\"]\n\tuploadpack = " + h.prog + "\n")
		}, []string{"cat-file", "-p", "HEAD~1:a.txt"}, false},
		{"lazy fetch through core.sshCommand", func(h *hostile) {
			h.partialClone()
			h.git("config", "remote.origin.url", "ssh://git.example.invalid/repo")
			h.appendConfig("[protocol]\n\tallow = always\n[core]\n\tsshCommand = " + h.prog + "\n")
		}, []string{"cat-file", "-p", "HEAD~1:a.txt"}, false},
		{"lazy fetch through url.insteadOf ext::", func(h *hostile) {
			h.partialClone()
			h.appendConfig("[protocol \"ext\"]\n\tallow = always\n[url \"ext::" + h.prog + " %S \"]\n\tinsteadOf = file://\n")
		}, []string{"cat-file", "-p", "HEAD~1:a.txt"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHostile(t)
			tc.setup(h)
			if tc.trigger != nil {
				h.assertTriggers(tc.trigger...)
			}
			assertRunsNothing(t, h.dir, h.marker, tc.mustFind)
		})
	}
}

// TestParentEnvironmentRunsNothing sets git variables in leakguard's own
// environment (as a CI job, a shell profile or a hook may), so it cannot
// run in parallel with other tests.
func TestParentEnvironmentRunsNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(h *hostile) map[string]string
		trigger []string
		// mustFind: the scans must succeed and report tokens.
		mustFind bool
	}{
		{"GIT_CONFIG_PARAMETERS", func(h *hostile) map[string]string {
			h.signHead(pgpSignature)
			h.stage()
			return map[string]string{"GIT_CONFIG_PARAMETERS": "'log.showsignature'='true' 'gpg.program'='" + h.prog + "'"}
		}, []string{"log", "-1"}, true},
		{"GIT_CONFIG_COUNT", func(h *hostile) map[string]string {
			h.signHead(pgpSignature)
			h.stage()
			return map[string]string{"GIT_CONFIG_COUNT": "2",
				"GIT_CONFIG_KEY_0": "log.showSignature", "GIT_CONFIG_VALUE_0": "true",
				"GIT_CONFIG_KEY_1": "gpg.program", "GIT_CONFIG_VALUE_1": h.prog}
		}, []string{"log", "-1"}, true},
		{"GIT_CONFIG_GLOBAL", func(h *hostile) map[string]string {
			h.signHead(pgpSignature)
			h.stage()
			global := filepath.Join(h.t.TempDir(), "gitconfig")
			appendFile(h.t, global, "[log]\n\tshowSignature = true\n[gpg]\n\tprogram = "+h.prog+"\n[core]\n\tfsmonitor = "+h.prog+"\n")
			return map[string]string{"GIT_CONFIG_GLOBAL": global}
		}, []string{"log", "-1"}, true},
		{"GIT_EXTERNAL_DIFF", func(h *hostile) map[string]string {
			h.write("a.txt", "new line\n"+token(h.t, "modified")+"\n")
			h.git("add", "a.txt")
			return map[string]string{"GIT_EXTERNAL_DIFF": h.prog}
		}, []string{"diff", "--cached"}, true},
		{"GIT_PAGER and PAGER", func(h *hostile) map[string]string {
			h.stage()
			return map[string]string{"GIT_PAGER": h.prog, "PAGER": h.prog}
		}, nil, true},
		{"GIT_SSH_COMMAND and GIT_ALLOW_PROTOCOL", func(h *hostile) map[string]string {
			h.partialClone()
			h.git("config", "remote.origin.url", "ssh://git.example.invalid/repo")
			return map[string]string{"GIT_SSH_COMMAND": h.prog, "GIT_ALLOW_PROTOCOL": "file:ssh"}
		}, []string{"cat-file", "-p", "HEAD~1:a.txt"}, false},
		{"GIT_EXEC_PATH", func(h *hostile) map[string]string {
			h.partialClone()
			dir := h.t.TempDir()
			if err := os.Symlink(h.prog, filepath.Join(dir, "git")); err != nil {
				h.t.Fatal(err)
			}
			return map[string]string{"GIT_EXEC_PATH": dir}
		}, []string{"cat-file", "-p", "HEAD~1:a.txt"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t)
			for k, v := range tc.setup(h) {
				t.Setenv(k, v)
			}
			if tc.trigger != nil {
				h.assertTriggers(tc.trigger...)
			}
			assertRunsNothing(t, h.dir, h.marker, tc.mustFind)
		})
	}
}

// TestHistoryIgnoresReplaceRefsAndGrafts: a token added by one commit and
// removed by the next must be found even when the repository hides that
// commit behind a replace ref or a graft.
func TestHistoryIgnoresReplaceRefsAndGrafts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		hide func(r *testRepo, clean, leak, fix string)
	}{
		{"replace ref", func(r *testRepo, clean, leak, fix string) {
			r.git("replace", leak, clean)
		}},
		{"graft", func(r *testRepo, clean, leak, fix string) {
			appendFile(r.t, filepath.Join(r.dir, ".git", "info", "grafts"), fix+" "+clean+"\n")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			r.write("a.txt", "clean\n")
			clean := r.commit("a@example.org", "clean")
			hidden := token(t, "hidden")
			r.write("a.txt", "clean\n"+hidden+"\n")
			leak := r.commit("leaker@example.org", "leak")
			r.write("a.txt", "clean\n")
			fix := r.commit("a@example.org", "fix")
			tc.hide(r, clean, leak, fix)
			if strings.Contains(r.git("log", "-p", "--all"), hidden) {
				t.Fatalf("plain git log still shows the token: the case tests nothing")
			}
			got := collect(t, func(emit func(scanner.Finding) error) error {
				return ScanHistory(ctx(t), HistoryOptions{Repo: r.dir}, newScanner(), emit)
			})
			if len(got) != 1 || got[0].Commit != leak {
				t.Fatalf("got %+v, want the token of commit %s", got, leak)
			}
		})
	}
}

// TestRepositoryConfigIsNeutralised checks the value git sees, in a scan,
// for keys a repository sets in its config, in an included file and in a
// conditionally included one: every key that is not known to be inert has
// a neutral value, inert keys keep the repository's, and the scans still
// work with all of them set.
func TestRepositoryConfigIsNeutralised(t *testing.T) {
	t.Parallel()
	h := newHostile(t)
	h.stage()
	inc := filepath.Join(t.TempDir(), "included")
	appendFile(t, inc, "[merge \"evil\"]\n\tdriver = "+h.prog+"\n[core]\n\tpager = "+h.prog+"\n")
	appendFile(t, filepath.Join(h.dir, ".git", "conditional"), "[pager]\n\tdiff = "+h.prog+"\n")
	h.appendConfig(`[log]
	showSignature = true
	date = iso
[diff "evil"]
	textconv = ` + h.prog + `
[diff "a.b=c d"]
	command = ` + h.prog + `
[filter "Evil"]
	process = ` + h.prog + `
[pager]
	log = ` + h.prog + `
[alias]
	lg = !` + h.prog + `
[remote "origin"]
	url = /srv/origin.git
	uploadpack = ` + h.prog + `
	vcs = evil
[protocol "file"]
	allow = always
[credential "https://example.org"]
	helper = ` + h.prog + `
[core]
	fsmonitor = ` + h.prog + `
	sshCommand = ` + h.prog + `
	bigFileThreshold = 64m
[diff]
	algorithm = histogram
	orderFile = /etc/hosts
	renameLimit = 10
[pack]
	threads = 1
[acme]
	tool = ` + h.prog + `
[url "` + h.prog + `"]
	insteadOf = file://
[include]
	path = ` + inc + `
[includeIf "gitdir:` + h.dir + `/"]
	path = conditional
`)
	for _, tc := range []struct{ key, want string }{
		{"log.showSignature", "false"},
		{"diff.evil.textconv", ""},
		{"diff.a.b=c d.command", ""},
		{"filter.Evil.process", ""},
		{"pager.log", ""},
		{"alias.lg", ""},
		{"remote.origin.uploadpack", ""},
		{"remote.origin.vcs", ""},
		{"protocol.file.allow", "never"},
		{"credential.https://example.org.helper", ""},
		{"core.fsmonitor", ""},
		{"core.sshCommand", ""},
		{"diff.orderFile", "/dev/null"},
		{"acme.tool", ""},
		{"merge.evil.driver", ""}, // from the included file
		{"core.pager", "cat"},     // from the included file, pinned anyway
		{"pager.diff", ""},        // from the conditionally included file
		// Inert: the repository's value.
		{"log.date", "iso"},
		{"remote.origin.url", "/srv/origin.git"},
		{"core.bigFileThreshold", "64m"},
		{"diff.algorithm", "histogram"},
		{"diff.renameLimit", "10"},
		{"pack.threads", "1"},
		{"user.email", "dev@example.org"},
		// Multi-valued, left alone: every transport is refused.
		{"url." + h.prog + ".insteadOf", "file://"},
	} {
		out, err := Git{Dir: h.dir}.Output(ctx(t), nil, "config", "--get", tc.key)
		if err != nil {
			t.Errorf("%s: %v", tc.key, err)
			continue
		}
		if got := strings.TrimSuffix(string(out), "\n"); got != tc.want {
			t.Errorf("in a scan, %s = %q, want %q", tc.key, got, tc.want)
		}
	}
	assertRunsNothing(t, h.dir, h.marker, true)
}

// TestBrokenConfigIsAGitError: a configuration git cannot parse fails the
// scan with git's message (exit 2), before anything runs.
func TestBrokenConfigIsAGitError(t *testing.T) {
	t.Parallel()
	h := newHostile(t)
	h.stage()
	h.appendConfig("[core\n\tfsmonitor = " + h.prog + "\n")
	for _, k := range scanKinds {
		err := k.run(t, h.dir, func(scanner.Finding) error { return nil })
		if !errors.Is(err, ErrGit) || !strings.Contains(err.Error(), "bad config line") {
			t.Errorf("%s scan: %v, want a git error quoting git's message", k.name, err)
		}
	}
	if _, err := os.Stat(h.marker); err == nil {
		t.Fatal("the program ran")
	}
}

// TestHookEnvironmentLocatesTheRepository: the variables that locate the
// repository (set by git for hooks) are kept.
func TestHookEnvironmentLocatesTheRepository(t *testing.T) {
	h := newHostile(t)
	t.Setenv("GIT_DIR", filepath.Join(h.dir, ".git"))
	got := collect(t, func(emit func(scanner.Finding) error) error {
		return ScanHistory(ctx(t), HistoryOptions{Repo: t.TempDir()}, newScanner(), emit)
	})
	if len(got) != 1 {
		t.Fatalf("%d findings through GIT_DIR, want 1", len(got))
	}
}

// TestOperatorSafeDirectoryIsKept: scans read no global configuration, but
// the operator's safe.directory entries still let a repository owned by
// someone else be scanned (and their absence still stops it).
func TestOperatorSafeDirectoryIsKept(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the repository another owner")
	}
	h := newHostile(t)
	if err := filepath.WalkDir(h.dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 4242, 4242)
	}); err != nil {
		t.Fatal(err)
	}
	global := filepath.Join(t.TempDir(), "gitconfig")
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	scan := func() error {
		return ScanHistory(ctx(t), HistoryOptions{Repo: h.dir}, newScanner(), func(scanner.Finding) error { return nil })
	}
	appendFile(t, global, "[safe]\n\tdirectory = /elsewhere\n")
	if err := scan(); !errors.Is(err, ErrGit) || !strings.Contains(err.Error(), "dubious ownership") {
		t.Fatalf("repository owned by another user, not marked safe: %v, want git's dubious ownership error", err)
	}
	appendFile(t, global, "[safe]\n\tdirectory = "+h.dir+"\n")
	if err := scan(); err != nil {
		t.Fatalf("repository marked safe by the operator: %v", err)
	}
}
