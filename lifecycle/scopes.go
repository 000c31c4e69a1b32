package lifecycle

import (
	"fmt"
	"strings"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/store"
)

// Scopes returns the scopes a token may be issued with for asked: each
// trimmed of surrounding white space, following leakguard.ParseScopes (1
// to 64 characters of A-Z a-z 0-9 . : / -, at most 32, none twice), none
// holding a token, and each in the allowed list when the Manager has one
// (Options.AllowedScopes). They come back sorted, nil for none. Errors
// wrap store.ErrInvalid; they quote a scope only once it has passed the
// character rule.
func (m *Manager) Scopes(asked []string) ([]string, error) {
	in := make([]string, len(asked))
	for i, s := range asked {
		in[i] = strings.TrimSpace(s)
		if err := leakguard.CheckScope(in[i]); err == nil && m.redact(in[i]) != in[i] {
			return nil, fmt.Errorf("%w: scope %d looks like a token", store.ErrInvalid, i+1)
		}
	}
	scopes, err := leakguard.ParseScopes(in)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	if m.scopes == nil {
		return scopes, nil
	}
	for _, s := range scopes {
		if !leakguard.HasScope(m.scopes, s) {
			return nil, fmt.Errorf("%w: scope %q is not allowed (allowed: %s)", store.ErrInvalid, s, allowedList(m.scopes))
		}
	}
	return scopes, nil
}

// AllowedScopes returns the configured allow-list (nil: any scope).
func (m *Manager) AllowedScopes() []string { return m.scopes }

// allowedList names the allowed scopes in an error.
func allowedList(allowed []string) string {
	if len(allowed) == 0 {
		return "none"
	}
	return strings.Join(allowed, ", ")
}

// checkScopeFilter checks the scope a list is filtered by ("" for none).
func checkScopeFilter(scope string) error {
	if scope == "" {
		return nil
	}
	if err := leakguard.CheckScope(scope); err != nil {
		return fmt.Errorf("%w: scope filter: %w", store.ErrInvalid, err)
	}
	return nil
}
