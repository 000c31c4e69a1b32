package gitsource

import (
	"slices"
	"strings"
)

// repoLocators are the GIT_* variables a scan keeps from its own
// environment: they only say which repository, work tree, index and object
// directories to read (a pre-push or pre-receive hook runs with some of
// them set, pointing at the repository and its quarantined objects), or
// where repository discovery stops. Every other GIT_* variable is dropped.
var repoLocators = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH", "GIT_COMMON_DIR",
	"GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
}

// operatorConfigVars locate the operator's own (system and global)
// configuration. Scans never read it; only the listing that looks for the
// operator's safe.directory entries does (see listConfig), and so does
// the hook installer, which must find hooks where git will look for them.
var operatorConfigVars = []string{"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"}

// noTransport is a GIT_ALLOW_PROTOCOL value that matches no transport: it
// holds '_', which cannot occur in a URL scheme, so no built-in transport
// or remote helper ("<name>::<address>") is ever allowed. An empty value
// would not do: git then allows a remote helper with an empty name
// ("::<address>" runs `git-remote-` from PATH).
const noTransport = "no_transport"

// StripGitEnv returns env without any GIT_* variable, except those named
// in keep. Git reads dozens of GIT_* variables that make it run programs
// (GIT_EXTERNAL_DIFF, GIT_SSH_COMMAND, GIT_PAGER, GIT_EXEC_PATH) or add
// configuration (GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT); stripping them
// all, rather than a list of known ones, also covers those later git
// versions add.
func StripGitEnv(env []string, keep ...string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		// Names compare case-insensitively: Windows environments do.
		if up := strings.ToUpper(name); strings.HasPrefix(up, "GIT_") && !slices.Contains(keep, up) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// QuietEnv returns the variables that keep git and the programs it
// starts from prompting, paging or opening an editor: no terminal prompt,
// no askpass program (an empty GIT_ASKPASS also overrides core.askPass),
// `cat` as pager and `:` (which git never runs) as editor.
func QuietEnv() []string {
	return []string{
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=",
		"GIT_PAGER=cat", "PAGER=cat", "GIT_EDITOR=:", "GIT_SEQUENCE_EDITOR=:",
	}
}

// scanEnv is the environment of every git process a scan runs, before the
// configuration overrides: parent without its GIT_* variables but the
// repository locators, then
//   - no system or global configuration (GIT_CONFIG_NOSYSTEM,
//     GIT_CONFIG_SYSTEM and GIT_CONFIG_GLOBAL): only the repository's own,
//     which the overrides neutralise, and leakguard's;
//   - no replace refs and no grafts (GIT_NO_REPLACE_OBJECTS,
//     GIT_GRAFT_FILE=/dev/null): they could hide commits from a scan;
//   - no system attributes (GIT_ATTR_NOSYSTEM);
//   - no network: lazy fetches of a partial clone are off
//     (GIT_NO_LAZY_FETCH) and every transport is refused
//     (GIT_ALLOW_PROTOCOL=noTransport, which overrides any protocol.*
//     configuration), so no URL, proxy, ssh command or credential helper
//     of the repository's is ever used;
//   - no optional index locks (GIT_OPTIONAL_LOCKS=0) and QuietEnv.
func scanEnv(parent []string) []string {
	env := StripGitEnv(parent, repoLocators...)
	env = append(env,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_SYSTEM=/dev/null", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_NO_REPLACE_OBJECTS=1", "GIT_GRAFT_FILE=/dev/null", "GIT_ATTR_NOSYSTEM=1",
		"GIT_NO_LAZY_FETCH=1", "GIT_ALLOW_PROTOCOL="+noTransport, "GIT_PROTOCOL_FROM_USER=0",
		"GIT_OPTIONAL_LOCKS=0",
	)
	return append(env, QuietEnv()...)
}

// listEnv is the environment of the `git config --list` that finds the
// keys to neutralise: scanEnv, except that the operator's system and
// global configuration stay readable (their safe.directory entries are
// carried over to scans; nothing else from them is used).
func listEnv(parent []string) []string {
	env := StripGitEnv(parent, append(slices.Clone(repoLocators), operatorConfigVars...)...)
	env = append(env, "GIT_NO_REPLACE_OBJECTS=1", "GIT_NO_LAZY_FETCH=1", "GIT_ALLOW_PROTOCOL="+noTransport,
		"GIT_OPTIONAL_LOCKS=0")
	return append(env, QuietEnv()...)
}
