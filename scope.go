package leakguard

import (
	"errors"
	"fmt"
	"sort"
)

// Scopes are issuer-defined labels a token carries from its issue on
// ("read", "deploy:prod", "repo/acme-app"); changing them means issuing a
// new token. The rule (docs/token-format.md#scopes): a scope is 1 to
// MaxScopeLen characters of A-Z a-z 0-9 . : / - and starts with a letter
// or digit; scopes compare exactly (case-sensitively); a token has at most
// MaxScopes of them, each once. No token of ours can be a scope: every one
// holds an '_'.
const (
	// MaxScopeLen bounds the length of one scope.
	MaxScopeLen = 64
	// MaxScopes bounds how many scopes one token carries.
	MaxScopes = 32
)

// ErrBadScope is the error of CheckScope and ParseScopes.
var ErrBadScope = errors.New("invalid scope")

// CheckScope returns an error wrapping ErrBadScope unless s follows the
// scope rule. The error never quotes s, which may hold anything.
func CheckScope(s string) error {
	if s == "" || len(s) > MaxScopeLen {
		return fmt.Errorf("%w: a scope is 1 to %d characters", ErrBadScope, MaxScopeLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !alnum && (i == 0 || (c != '.' && c != ':' && c != '/' && c != '-')) {
			return fmt.Errorf("%w: a scope is made of A-Z a-z 0-9 . : / - and starts with a letter or digit", ErrBadScope)
		}
	}
	return nil
}

// ParseScopes checks every scope (CheckScope), refuses a scope given twice
// and more than MaxScopes, and returns them sorted (bytewise) in a new
// slice, nil for none. Errors wrap ErrBadScope; only a duplicate, which
// passed CheckScope, is quoted.
func ParseScopes(scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return nil, nil
	}
	if len(scopes) > MaxScopes {
		return nil, fmt.Errorf("%w: at most %d scopes, not %d", ErrBadScope, MaxScopes, len(scopes))
	}
	out := make([]string, len(scopes))
	for i, s := range scopes {
		if err := CheckScope(s); err != nil {
			return nil, fmt.Errorf("scope %d: %w", i+1, err)
		}
		out[i] = s
	}
	sort.Strings(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, fmt.Errorf("%w: scope %q given twice", ErrBadScope, out[i])
		}
	}
	return out, nil
}

// HasScope reports whether scopes holds s exactly.
func HasScope(scopes []string, s string) bool {
	for _, x := range scopes {
		if x == s {
			return true
		}
	}
	return false
}
