package gitsource

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ key, section, sub, name string }{
		{"core.bare", "core", "", "bare"},
		{"Core.Bare", "core", "", "bare"},
		{"diff.evil.textconv", "diff", "evil", "textconv"},
		{"includeif.gitdir:~/a.b/.path", "includeif", "gitdir:~/a.b/", "path"},
		{"url.https://x.org/.insteadOf", "url", "https://x.org/", "insteadof"},
	} {
		section, sub, name := splitKey(tc.key)
		if section != tc.section || sub != tc.sub || name != tc.name {
			t.Errorf("splitKey(%q) = %q %q %q, want %q %q %q", tc.key, section, sub, name, tc.section, tc.sub, tc.name)
		}
	}
}

func TestKeyClassification(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key     string
		inert   bool
		neutral string // when not inert
		skip    bool   // left alone although not inert
	}{
		{key: "core.bare", inert: true},
		{key: "extensions.objectformat", inert: true},
		{key: "remote.origin.url", inert: true},
		{key: "remote.origin.uploadpack"},
		{key: "remote.origin.vcs"},
		{key: "branch.main.merge", inert: true},
		{key: "branch.autosetuprebase", inert: true},
		{key: "includeif.gitdir:/x/.path", inert: true},
		{key: "include.path", inert: true},
		{key: "safe.directory", inert: true},
		{key: "gc.auto", inert: true},
		{key: "gc.refs/remotes/*.reflogexpire", inert: true},
		{key: "diff.algorithm", inert: true},
		{key: "diff.evil.textconv"},
		{key: "diff.external"},
		{key: "filter.lfs.process"},
		{key: "core.fsmonitor"},
		{key: "core.pager"},
		{key: "pager.log"},
		{key: "alias.st"},
		{key: "credential.https://example.org.helper"},
		{key: "user"}, // malformed: not inert
		{key: "protocol.allow", neutral: "never"},
		{key: "protocol.ext.allow", neutral: "never"},
		{key: "diff.orderfile", neutral: "/dev/null"},
		{key: "url.ext::x.insteadof", skip: true},
		{key: "url.ext::x.pushinsteadof", skip: true},
		{key: "core.gitproxy", skip: true},
	} {
		if got := isInert(tc.key); got != tc.inert {
			t.Errorf("isInert(%q) = %v, want %v", tc.key, got, tc.inert)
		}
		if tc.inert {
			continue
		}
		v, ok := neutralFor(tc.key)
		if ok == tc.skip || v != tc.neutral {
			t.Errorf("neutralFor(%q) = %q, %v; want %q, %v", tc.key, v, ok, tc.neutral, !tc.skip)
		}
	}
}

func TestParseConfigList(t *testing.T) {
	t.Parallel()
	out := "local\x00file:.git/config\x00core.bare\nfalse\x00" +
		"local\x00file:.git/config\x00x.a.b=c d.k\x00" +
		"global\x00file:/home/u/.gitconfig\x00safe.directory\n/srv/x\nwith a newline\x00"
	got, err := parseConfigList([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []configEntry{
		{"local", "file:.git/config", "core.bare", "false"},
		{"local", "file:.git/config", "x.a.b=c d.k", ""},
		{"global", "file:/home/u/.gitconfig", "safe.directory", "/srv/x\nwith a newline"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := parseConfigList([]byte("local\x00file:x\x00")); !errors.Is(err, ErrGit) {
		t.Errorf("truncated listing: %v, want a git error", err)
	}
}

func TestBuildOverrides(t *testing.T) {
	t.Parallel()
	o, err := buildOverrides([]configEntry{
		{"system", "file:/etc/gitconfig", "safe.directory", "/srv/a"},
		{"system", "file:/etc/gitconfig", "core.pager", "less"}, // the operator's: not read by scans
		{"global", "file:/home/u/.gitconfig", "safe.directory", ""},
		{"local", "file:.git/config", "core.bare", "false"},
		{"local", "file:.git/config", "gpg.program", "evil"},      // pinned
		{"local", "file:.git/config", "GPG.Program", "evil"},      // pinned, as git spells it
		{"local", "file:.git/config", "diff.Evil.textconv", "x"},  // subsection keeps its case
		{"local", "file:.git/config", "diff.Evil.textconv", "y"},  // once
		{"worktree", "file:.git/config.worktree", "acme.x", "1"},  // every repository scope
		{"unknown", "file:.git/config", "acme.y", "1"},            // unknown scopes too
		{"command", "command line:", "acme.z", "1"},               // ours
		{"local", "file:.git/config", "url.ext::x.insteadof", ""}, // left alone
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.neutralised, []string{"diff.Evil.textconv", "acme.x", "acme.y"}; !slices.Equal(got, want) {
		t.Errorf("neutralised %q, want %q", got, want)
	}
	n := len(o.list)
	if got, want := o.list[n-2:], []override{{"safe.directory", "/srv/a"}, {"safe.directory", ""}}; !slices.Equal(got, want) {
		t.Errorf("list ends with %q, want the operator's safe.directory entries %q", got, want)
	}
	if got, want := o.list[:3], []override{{"diff.Evil.textconv", ""}, {"acme.x", ""}, {"acme.y", ""}}; !slices.Equal(got, want) {
		t.Errorf("list starts with %q, want %q", got, want)
	}
	env := o.env()
	if env[0] != "GIT_CONFIG_COUNT="+itoa(n) || env[1] != "GIT_CONFIG_KEY_0=diff.Evil.textconv" || env[2] != "GIT_CONFIG_VALUE_0=" {
		t.Errorf("env starts %q", env[:3])
	}

	many := make([]configEntry, maxNeutralised+1)
	for i := range many {
		many[i] = configEntry{"local", "file:.git/config", "acme.k" + itoa(i), ""}
	}
	if _, err := buildOverrides(many); !errors.Is(err, ErrGit) {
		t.Errorf("%d keys: %v, want a git error", len(many), err)
	}
}

func TestExplainNamesTheNeutralisedKey(t *testing.T) {
	t.Parallel()
	o := &overrides{neutralised: []string{"acme.level"}}
	err := o.explain(gitError([]string{"log"}, errors.New("exit status 128"), []byte("fatal: bad numeric config value '' for 'acme.level'")))
	if !errors.Is(err, ErrGit) || !strings.Contains(err.Error(), "overrides the repository's own acme.level") {
		t.Errorf("got %v", err)
	}
	err = o.explain(gitError([]string{"log"}, errors.New("exit status 128"), []byte("fatal: bad object")))
	if strings.Contains(err.Error(), "overrides") {
		t.Errorf("unrelated failure explained: %v", err)
	}
}

func TestStripGitEnv(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=/bin", "GIT_DIR=.git", "GIT_EXTERNAL_DIFF=x", "git_pager=x", "GIT_CONFIG_COUNT=1", "HOME=/h", "LEGIT_X=1"}
	if got, want := StripGitEnv(env, "GIT_DIR"), []string{"PATH=/bin", "GIT_DIR=.git", "HOME=/h", "LEGIT_X=1"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	scan := scanEnv(env)
	for _, kv := range []string{"GIT_DIR=.git", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_NO_REPLACE_OBJECTS=1", "GIT_ALLOW_PROTOCOL=" + noTransport} {
		if !slices.Contains(scan, kv) {
			t.Errorf("scan environment lacks %s", kv)
		}
	}
}

// TestCachedListsConfigurationOnce: a Cached value and its copies list
// the configuration once; a plain value lists it per command.
func TestCachedListsConfigurationOnce(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	g := Git{Dir: r.dir}.Cached()
	first, err := g.overrides(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	cp := g
	if o, _ := cp.overrides(ctx(t)); o != first {
		t.Fatal("a copy of a Cached value listed the configuration again")
	}
	plain := Git{Dir: r.dir}
	if o, _ := plain.overrides(ctx(t)); o == first {
		t.Fatal("a plain value used a cache")
	}
}
