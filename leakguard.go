// Package leakguard is the vocabulary every other package of leakguard
// shares: a token's hash (the handle for everything after a token is found),
// its state, where a leak was seen (its source) and what was done about it
// (the action). The spec of each word is in docs/findings.md.
//
// It holds values and their parsing only, imports nothing of the project,
// and never sees a plaintext token: a Hash is the SHA-256 of one, and
// ParseHash refuses anything of another shape, so a token handed over by
// mistake is refused instead of carried along.
package leakguard

import (
	"errors"
	"fmt"
)

// Hash is the SHA-256 of a token in lower-case hex: 64 characters.
type Hash string

// HashLen is the length of a Hash.
const HashLen = 64

// ErrBadHash is returned by ParseHash for anything but 64 lower-case hex
// characters.
var ErrBadHash = errors.New("not a SHA-256 hex hash (64 lower-case hex digits)")

// ParseHash returns s as a Hash, or ErrBadHash. The error never quotes s: a
// plaintext token passed by mistake must not reach a message.
func ParseHash(s string) (Hash, error) {
	if !ValidHash(s) {
		return "", ErrBadHash
	}
	return Hash(s), nil
}

// ValidHash reports whether s has the shape of a token hash: 64 lower-case
// hex characters.
func ValidHash(s string) bool {
	if len(s) != HashLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ShortLen is the length of a hash's short form.
const ShortLen = 12

// Short is the hash's first 12 characters: what reports and messages show.
func (h Hash) Short() string { return ShortHash(string(h)) }

// ShortHash is the short form of a hash held as a string; a string shorter
// than 12 characters is returned whole.
func ShortHash(h string) string {
	if len(h) > ShortLen {
		return h[:ShortLen]
	}
	return h
}

// State is what a token store says of a token: the lifecycle states of an
// issued token, or unknown when the store does not know the hash (a token
// of another issuer, or one never issued here).
type State string

// States.
const (
	StateActive  State = "active"
	StateRevoked State = "revoked"
	StateExpired State = "expired"
	StateUnknown State = "unknown"
)

// ParseState returns the state named s, or an error naming the states.
func ParseState(s string) (State, error) {
	switch st := State(s); st {
	case StateActive, StateRevoked, StateExpired, StateUnknown:
		return st, nil
	}
	return "", fmt.Errorf("bad state %q: want active, revoked, expired or unknown", s)
}

// Action is what leakguard did about a found token.
type Action string

// Actions.
const (
	// ActionRevoked: this run revoked the token (it was active and ours).
	ActionRevoked Action = "revoked"
	// ActionNone: nothing was done (not ours, already invalid, or the run
	// was not asked to revoke).
	ActionNone Action = "none"
	// ActionReported: this run sent the token to its own issuer's
	// revocation service, which accepted it (docs/issuers.md).
	ActionReported Action = "reported"
)

// Source says where a token was seen.
type Source string

// Sources. The first six are scanners of this repository; the GitHub ones
// are leak reports received from GitHub.
const (
	SourceFile          Source = "file"           // a file or folder named on the command line
	SourceStdin         Source = "stdin"          // standard input
	SourceDiff          Source = "diff"           // a unified diff's added lines
	SourceStaged        Source = "staged"         // the git index (pre-commit)
	SourceGit           Source = "git"            // git history
	SourceGitHubOrg     Source = "github-org"     // an organisation scan
	SourceGitHubWebhook Source = "github-webhook" // GitHub's secret-scanning partner endpoint
	SourceGitHubAlert   Source = "github-alert"   // a GitHub secret-scanning alert
	SourceGitLab        Source = "gitlab"         // GitLab's secret detection, through the Token Revocation API
)

// Sources lists every source, in the order above.
func Sources() []Source {
	return []Source{SourceFile, SourceStdin, SourceDiff, SourceStaged, SourceGit,
		SourceGitHubOrg, SourceGitHubWebhook, SourceGitHubAlert, SourceGitLab}
}

// Known reports whether s is one of Sources.
func (s Source) Known() bool {
	for _, k := range Sources() {
		if s == k {
			return true
		}
	}
	return false
}

// Scanned reports whether s is a source a scanning client may report a
// leak from over the API (the GitHub webhook and alert sources are this
// server's own and not accepted from clients).
func (s Source) Scanned() bool {
	switch s {
	case SourceFile, SourceStdin, SourceDiff, SourceStaged, SourceGit, SourceGitHubOrg:
		return true
	}
	return false
}
