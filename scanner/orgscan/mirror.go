package orgscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner/gitsource"
	"github.com/rs/zerolog"
)

// ErrMirror wraps every failure to clone or fetch a repository.
var ErrMirror = errors.New("mirror")

// Auth authenticates git to the remotes that need credentials (package
// github implements it for GitHub's token). The mirror knows no host: it
// asks for each remote URL and passes what it gets to git through the
// environment only.
type Auth interface {
	// GitCredential returns the git configuration key and value (an
	// http.extraHeader carrying an Authorization header, say) that
	// authenticate git to remoteURL, or an empty key when git must send no
	// credential there.
	GitCredential(remoteURL string) (key string, value patterns.Secret)
	// Redact returns s with every secret of the Auth (the value it gives
	// git and what that value is made from) replaced by patterns.Redacted.
	Redact(s string) string
}

// Mirrors keeps bare mirrors of remote repositories under Dir, one
// directory per owner/name. One Mirrors value (one process) per Dir: it
// serialises work on a repository within the process only.
type Mirrors struct {
	Dir     string   // cache directory
	Auth    Auth     // credentials for the remotes that need them; nil: none
	Git     string   // git executable ("" = git on PATH)
	BaseEnv []string // environment git starts from, before hardening (nil = the process's)
	Log     zerolog.Logger

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// namePart is what a mirror's owner or name may hold: the POSIX portable
// filename characters, so that owner/name is two plain directory names
// under Dir whatever the host (GitHub's own names fit in it).
var namePart = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Path returns the mirror directory of owner/name.
func (m *Mirrors) Path(fullName string) (string, error) {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || !namePart.MatchString(owner) || !namePart.MatchString(name) ||
		owner == "." || owner == ".." || name == "." || name == ".." {
		return "", fmt.Errorf("%w: bad repository name %q", ErrMirror, fullName)
	}
	return filepath.Join(m.Dir, "mirrors", owner, name+".git"), nil
}

// Sync brings the mirror of fullName up to date with cloneURL: a mirror
// clone the first time (into a temporary directory, then renamed, so an
// interrupted clone leaves nothing behind), `git fetch --prune` after. It
// returns the mirror's directory.
func (m *Mirrors) Sync(ctx context.Context, fullName, cloneURL string) (string, error) {
	dir, err := m.Path(fullName)
	if err != nil {
		return "", err
	}
	unlock := m.lock(dir)
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		if _, err := m.run(ctx, dir, cloneURL, "remote", "set-url", "origin", cloneURL); err != nil {
			return "", err
		}
		_, err := m.run(ctx, dir, cloneURL, "fetch", "--prune", "--quiet", "origin")
		return dir, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s: %v", ErrMirror, fullName, err)
	}
	return dir, m.clone(ctx, dir, cloneURL)
}

// clone makes a new mirror at dir.
func (m *Mirrors) clone(ctx context.Context, dir, cloneURL string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("%w: %v", ErrMirror, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-*")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMirror, err)
	}
	defer os.RemoveAll(tmp)
	if _, err := m.run(ctx, "", cloneURL, "clone", "--mirror", "--quiet", "--", cloneURL, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("%w: %v", ErrMirror, err)
	}
	return nil
}

func (m *Mirrors) lock(dir string) func() {
	m.mu.Lock()
	if m.locks == nil {
		m.locks = map[string]*sync.Mutex{}
	}
	l := m.locks[dir]
	if l == nil {
		l = &sync.Mutex{}
		m.locks[dir] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// run runs git for a remote at remoteURL. Only that URL's scheme is
// allowed as a transport; hooks, credential helpers and redirects are off.
//
// Unlike a scan (package gitsource), it reads the operator's system and
// global configuration: that is where proxies, CA bundles and the like
// belong, and the repositories it touches are mirrors whose configuration
// leakguard wrote (a remote sends objects and refs, never configuration).
// Its environment is the operator's (BaseEnv, or the process's) without
// any GIT_* variable (a GIT_DIR, GIT_CONFIG_PARAMETERS or GIT_SSH_COMMAND
// inherited from a hook or a CI job must not redirect or reconfigure it;
// proxy variables such as https_proxy stay), with no prompts, pager or
// editor, plus the credential Auth gives for remoteURL.
func (m *Mirrors) run(ctx context.Context, dir, remoteURL string, args ...string) ([]byte, error) {
	scheme := urlScheme(remoteURL)
	base := []string{
		"--no-pager",
		"-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=",
		"-c", "credential.helper=", "-c", "http.followRedirects=false",
		"-c", "protocol.allow=never", "-c", "protocol." + scheme + ".allow=always",
	}
	exe := m.Git
	if exe == "" {
		exe = "git"
	}
	cmd := exec.CommandContext(ctx, exe, append(base, args...)...)
	cmd.Dir = dir
	cmd.Env = append(gitsource.StripGitEnv(m.parentEnv()), gitsource.QuietEnv()...)
	cmd.Env = append(cmd.Env, m.authEnv(remoteURL)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		msg := m.redact(strings.TrimSpace(stderr.String()), remoteURL)
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%w: git %s %s: %s", ErrMirror, args[0], redactURL(remoteURL), msg)
	}
	return out.Bytes(), nil
}

// parentEnv is the environment git starts from: BaseEnv, or the
// process's when it is nil.
func (m *Mirrors) parentEnv() []string {
	if m.BaseEnv != nil {
		return m.BaseEnv
	}
	return os.Environ()
}

// authEnv returns the environment that gives git the credential Auth has
// for remoteURL (as GIT_CONFIG_COUNT/GIT_CONFIG_KEY_0/GIT_CONFIG_VALUE_0),
// or nothing when the URL is not http(s) or Auth has none for it. (The
// parent environment's GIT_CONFIG_COUNT is dropped with every other GIT_*
// variable, see run.)
func (m *Mirrors) authEnv(remoteURL string) []string {
	if m.Auth == nil {
		return nil
	}
	u, err := url.Parse(remoteURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil
	}
	key, value := m.Auth.GitCredential(remoteURL)
	if key == "" || value.IsZero() {
		return nil
	}
	return []string{
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=" + key,
		"GIT_CONFIG_VALUE_0=" + value.Reveal(),
	}
}

// redact removes the credential of remoteURL, and every secret Auth
// holds, from a git message.
func (m *Mirrors) redact(msg, remoteURL string) string {
	if m.Auth == nil {
		return msg
	}
	if _, value := m.Auth.GitCredential(remoteURL); !value.IsZero() {
		msg = strings.ReplaceAll(msg, value.Reveal(), patterns.Redacted)
	}
	return m.Auth.Redact(msg)
}

// urlScheme is the git transport of a remote: its URL scheme, "file" for
// paths, "ssh" for scp-like user@host:path.
func urlScheme(remote string) string {
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		return strings.ToLower(u.Scheme)
	}
	if i := strings.Index(remote, ":"); i > 0 && !strings.ContainsAny(remote[:i], "/") {
		return "ssh"
	}
	return "file"
}

// redactURL drops any userinfo from a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}
