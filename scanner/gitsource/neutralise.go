package gitsource

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// A repository's own configuration (.git/config, config.worktree and every
// file they include, conditionally or not) is read by git and may name
// programs: a signature verifier, a pager, an fsmonitor hook, diff and
// filter drivers, ssh commands, credential helpers and more, under fixed
// keys and under keys with a free subsection (diff.<driver>.textconv). A
// denylist of such keys is never complete, so leakguard lists the keys a
// repository sets (`git config --list --includes`, which runs nothing) and
// overrides each one that is not on the inert allowlist below with a
// neutral value, through GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/
// GIT_CONFIG_VALUE_n: command-line scope, read after the repository's, so
// it wins for every single-valued key, and no argv length limit. The
// pinned keys are set whatever the repository says.

// override is one configuration key and the value leakguard gives it.
type override struct{ key, value string }

// pinned are set for every git process of a scan. Empty values: a program
// named "" cannot be started, and an empty credential.helper resets the
// helper list.
var pinned = []override{
	{"core.hooksPath", "/dev/null"},
	{"core.fsmonitor", ""}, // false; before git 2.36 it was a hook path, where "false" names a program
	{"core.pager", "cat"},  // git never starts "cat" as a pager
	{"core.editor", ":"},   // git treats ":" as "no editor" and runs nothing
	{"sequence.editor", ":"},
	{"core.askPass", ""},
	{"core.sshCommand", ""},
	{"core.alternateRefsCommand", ""},
	{"credential.helper", ""},
	{"diff.external", ""},
	{"http.proxy", ""},
	{"protocol.allow", "never"},
	{"log.showSignature", "false"},
	{"gpg.format", "openpgp"}, // an empty format is an error
	{"gpg.program", ""},
	{"gpg.openpgp.program", ""},
	{"gpg.x509.program", ""},
	{"gpg.ssh.program", ""},
	{"gpg.ssh.defaultKeyCommand", ""},
	{"gpg.ssh.allowedSignersFile", ""},
	{"gpg.ssh.revocationFile", ""},
	{"core.useReplaceRefs", "false"},
	{"advice.graftFileDeprecated", "false"}, // GIT_GRAFT_FILE=/dev/null would print it
	{"gc.auto", "0"},
	{"maintenance.auto", "false"},
	{"core.quotePath", "false"},
	// Attribution parses `git log --raw -z` output: keep its format git's
	// default whatever the repository prefers.
	{"log.diffMerges", "separate"},
	{"log.follow", "false"},
	{"i18n.logOutputEncoding", "UTF-8"},
}

// Two keys are deliberately not pinned. uploadpack.packObjectsHook is
// honoured only in system, global and command-line configuration, never
// in a repository's; pinning it would define a hook. core.gitProxy keeps
// its first value, so a command-line value cannot override a
// repository's; it serves only git:// fetches, and every transport is
// refused (see scanEnv).

// inert are the repository keys left as they are: keys that locate or
// describe the repository, the identities and remotes it records, and
// tuning knobs of built-in code that git rejects when empty (numbers and
// enumerations) — none names a program or a file to run, for the
// read-only commands a scan runs (rev-parse, rev-list, cat-file, log,
// diff, diff-index, ls-files, hash-object) or for any other. A pattern's
// "*" is any subsection (second part) or any variable name (last part).
var inert = []string{
	// Repository format and layout: read from the file itself, or needed
	// to find the work tree and read the index as the owner does.
	"core.repositoryformatversion", "core.bare", "core.worktree", "extensions.*",
	"core.filemode", "core.symlinks", "core.ignorecase", "core.precomposeunicode",
	"core.protecthfs", "core.protectntfs", "core.logallrefupdates", "core.sharedrepository",
	"core.sparsecheckout", "core.sparsecheckoutcone", "core.splitindex", "core.untrackedcache",
	"core.commitgraph", "core.multipackindex", "core.checkstat", "core.trustctime",
	"index.*", "splitindex.*", "commitgraph.*", "pack.*", "gc.*", "gc.*.*",
	// Numbers and enumerations of built-in code, rejected when empty.
	"core.compression", "core.loosecompression", "core.bigfilethreshold",
	"core.deltabasecachelimit", "core.packedgitlimit", "core.packedgitwindowsize",
	"core.commentchar", "core.createobject", "core.abbrev",
	"diff.algorithm", "diff.context", "diff.interhunkcontext", "diff.renamelimit",
	"diff.statgraphwidth", "diff.ignoresubmodules", "diff.colormovedws",
	"log.date", "grep.patterntype", "format.filenamemaxlength", "gpg.mintrustlevel",
	"push.default", "fetch.negotiationalgorithm",
	// Includes: the keys of included files are listed and neutralised
	// themselves (an empty include.path would be an error).
	"include.path", "includeif.*.path",
	// Records: who commits, which branches track what, where remotes are.
	// A URL leads nowhere: every transport is refused.
	"user.*", "author.*", "committer.*", "i18n.commitencoding",
	"branch.*", "branch.*.*",
	"remote.*.url", "remote.*.pushurl", "remote.*.fetch", "remote.*.push",
	"remote.*.mirror", "remote.*.tagopt", "remote.*.prune", "remote.*.prunetags",
	"remote.*.promisor", "remote.*.partialclonefilter",
	"remote.*.skipdefaultupdate", "remote.*.skipfetchall",
	// Honoured only in system, global or command-line configuration; a
	// command-line value would be honoured, and an empty safe.directory
	// would reset the operator's list.
	"safe.directory", "safe.barerepository", "uploadpack.packobjectshook",
}

// neutralFor returns the value that neutralises a repository key that is
// neither inert nor pinned, and false for a key that must be left alone.
// The default is the empty value: for a boolean it is false, for a
// program or path it is nothing to run or read, for a list (credential
// helpers, http extra headers) it is a reset; a number or enumeration git
// rejects when empty makes the scan fail with git's message (exit 2),
// never run anything.
func neutralFor(key string) (string, bool) {
	section, sub, name := splitKey(key)
	switch {
	case section == "protocol" && name == "allow":
		return "never", true // an empty value is an error
	case section == "url" && sub != "" && (name == "insteadof" || name == "pushinsteadof"):
		// Multi-valued: an override adds a value, it cannot remove one,
		// and an empty prefix would rewrite every URL. Inert anyway: every
		// transport is refused.
		return "", false
	case section == "core" && sub == "" && name == "gitproxy":
		return "", false // first value wins: an override cannot remove it (see pinned)
	case section == "diff" && sub == "" && name == "orderfile":
		return "/dev/null", true // an empty path is an error; /dev/null is an empty order
	}
	return "", true
}

// splitKey splits a canonical key "section[.subsection].name"; the
// subsection may itself contain dots.
func splitKey(key string) (section, sub, name string) {
	first, last := strings.IndexByte(key, '.'), strings.LastIndexByte(key, '.')
	if first < 0 {
		return key, "", ""
	}
	section, name = strings.ToLower(key[:first]), strings.ToLower(key[last+1:])
	if first < last {
		sub = key[first+1 : last]
	}
	return section, sub, name
}

// canonicalKey is key as git compares it: section and name in lower
// case, the subsection as written.
func canonicalKey(key string) string {
	section, sub, name := splitKey(key)
	if sub == "" && strings.Count(key, ".") < 2 {
		return section + "." + name
	}
	return section + "." + sub + "." + name
}

// isInert reports whether key matches an inert pattern.
func isInert(key string) bool {
	section, sub, name := splitKey(key)
	if name == "" {
		return false
	}
	for _, p := range inert {
		ps, psub, pname := splitKey(p)
		if ps == section && (pname == "*" || pname == name) &&
			(psub == sub || psub == "*" && sub != "") {
			return true
		}
	}
	return false
}

// maxNeutralised bounds the keys a repository may make leakguard
// override (each is an environment variable of every git process).
const maxNeutralised = 4096

// configEntry is one entry of `git config --list --show-scope
// --show-origin -z`.
type configEntry struct {
	scope, origin, key, value string
}

// parseConfigList parses "<scope>\0<origin>\0<key>[\n<value>]\0" entries.
func parseConfigList(out []byte) ([]configEntry, error) {
	fields := bytes.Split(out, []byte{0})
	if len(fields) > 0 && len(fields[len(fields)-1]) == 0 {
		fields = fields[:len(fields)-1]
	}
	if len(fields)%3 != 0 {
		return nil, fmt.Errorf("%w config: malformed --list output", ErrGit)
	}
	entries := make([]configEntry, 0, len(fields)/3)
	for i := 0; i < len(fields); i += 3 {
		key, value, _ := strings.Cut(string(fields[i+2]), "\n")
		entries = append(entries, configEntry{scope: string(fields[i]), origin: string(fields[i+1]), key: key, value: value})
	}
	return entries, nil
}

// overrides are the configuration added to every git process of a scan
// in one repository.
type overrides struct {
	list        []override // neutralised keys, then pinned ones, then safe.directory
	neutralised []string   // the repository keys given a neutral value
	// partial is set when the repository names a promisor remote
	// (extensions.partialClone, remote.<name>.promisor): a partial
	// clone, whose objects may be missing by design.
	partial bool
}

// repoScope reports whether a --show-scope scope is the repository's:
// anything but the operator's (system, global) and leakguard's own
// (command). An unknown scope counts as the repository's.
func repoScope(scope string) bool {
	return scope != "system" && scope != "global" && scope != "command"
}

// buildOverrides computes the overrides from the configuration listing.
func buildOverrides(entries []configEntry) (*overrides, error) {
	o := &overrides{}
	seen := map[string]bool{}
	for _, p := range pinned {
		seen[canonicalKey(p.key)] = true
	}
	var safe []override
	for _, e := range entries {
		if !repoScope(e.scope) {
			if e.key == "safe.directory" {
				safe = append(safe, override{e.key, e.value})
			}
			continue
		}
		key := canonicalKey(e.key)
		o.partial = o.partial || promisorKey(key, e.value)
		if seen[key] || isInert(key) {
			continue
		}
		seen[key] = true
		v, ok := neutralFor(e.key)
		if !ok {
			continue
		}
		if len(o.neutralised) == maxNeutralised {
			return nil, fmt.Errorf("%w config: the repository's configuration sets more than %d keys", ErrGit, maxNeutralised)
		}
		o.list = append(o.list, override{key, v})
		o.neutralised = append(o.neutralised, key)
	}
	o.list = append(append(o.list, pinned...), safe...)
	return o, nil
}

// promisorKey reports whether a repository key makes it a partial clone,
// as git decides: extensions.partialClone set, or remote.<name>.promisor
// true. Any value but an explicit false counts (a key without a value is
// true for git, and guessing "partial" only costs speed).
func promisorKey(key, value string) bool {
	section, sub, name := splitKey(key)
	switch {
	case section == "extensions" && sub == "" && name == "partialclone":
		return value != ""
	case section == "remote" && sub != "" && name == "promisor":
		switch strings.ToLower(value) {
		case "false", "no", "off", "0":
			return false
		}
		return true
	}
	return false
}

// env renders the overrides as GIT_CONFIG_COUNT/KEY/VALUE variables.
func (o *overrides) env() []string {
	env := make([]string, 0, 1+2*len(o.list))
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(o.list)))
	for i, kv := range o.list {
		n := strconv.Itoa(i)
		env = append(env, "GIT_CONFIG_KEY_"+n+"="+kv.key, "GIT_CONFIG_VALUE_"+n+"="+kv.value)
	}
	return env
}

// explain adds to a git failure that names a key leakguard neutralised
// why that key has a value the repository did not give it (git rejects
// an empty value for some keys leakguard does not know to be inert).
func (o *overrides) explain(err error) error {
	ge, ok := err.(*gitErr)
	if !ok {
		return err
	}
	lower := strings.ToLower(ge.stderr)
	for _, k := range o.neutralised {
		if strings.Contains(lower, strings.ToLower(k)) {
			ge.msg += " (leakguard overrides the repository's own " + k +
				" setting with an empty value, as it does every setting it does not know to be harmless)"
			return ge
		}
	}
	return ge
}
