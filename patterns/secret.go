package patterns

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Redacted is what a Secret prints in place of its value.
const Redacted = "[REDACTED]"

// Secret holds a plaintext token. Every way of printing or serialising it
// (fmt verbs, String, GoString, MarshalJSON, MarshalText, zerolog) yields
// Redacted; only Reveal returns the raw value.
type Secret struct{ v string }

// NewSecret wraps a plaintext token.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the plaintext token. Call it only where the raw value must
// leave the process deliberately (printing a newly issued token once).
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// Len returns the length of the plaintext in bytes.
func (s Secret) Len() int { return len(s.v) }

// Hash returns the SHA-256 hex digest of the full token: the handle used for
// look-ups, revocation and ignore lists.
func (s Secret) Hash() string { return HashToken(s.v) }

// Last4 returns the token's last four characters (all of it if shorter).
func (s Secret) Last4() string {
	if len(s.v) <= 4 {
		return s.v
	}
	return s.v[len(s.v)-4:]
}

// Redact returns the display form "<prefix>…<last4>" used in reports.
func (s Secret) Redact(prefix string) string { return prefix + "\u2026" + s.Last4() }

// String implements fmt.Stringer and never returns the plaintext.
func (s Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer and never returns the plaintext.
func (s Secret) GoString() string { return "patterns.Secret(" + Redacted + ")" }

// Format implements fmt.Formatter so that no verb (%s, %q, %x, %v, %+v, %#v)
// can print the plaintext.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// MarshalJSON implements json.Marshaler with the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler with the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// HashToken returns the SHA-256 hex digest of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// HashBytes returns the SHA-256 hex digest of a token held in a byte slice,
// without copying it into a string.
func HashBytes(token []byte) string {
	sum := sha256.Sum256(token)
	return hex.EncodeToString(sum[:])
}
