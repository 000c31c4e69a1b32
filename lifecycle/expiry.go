package lifecycle

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leakguard/leakguard/store"
)

// Day is the length of the "d" unit of ParseExpiry.
const Day = 24 * time.Hour

// maxDays keeps a number of days inside time.Duration's range.
const maxDays = 100000

// Policy is the expiry policy applied to every issued token.
type Policy struct {
	// DefaultExpiry applies when no expiry is asked; 0 means never (only
	// honoured when AllowNever, else MaxExpiry applies).
	DefaultExpiry time.Duration
	// MaxExpiry caps every asked or default lifetime; 0 means no cap.
	MaxExpiry time.Duration
	// AllowNever says whether "never" may be asked.
	AllowNever bool
}

// DefaultPolicy is the built-in policy: 90 days by default, at most 365
// days, "never" not allowed. New uses it for a zero Policy.
func DefaultPolicy() Policy {
	return Policy{DefaultExpiry: 90 * Day, MaxExpiry: 365 * Day}
}

// ParseExpiry parses an expiry: a Go duration ("24h", "1s"), a whole number
// of days ("90d"), "never", or "" (the policy default: d=0, never=false).
// Durations must be positive.
func ParseExpiry(s string) (d time.Duration, never bool, err error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return 0, false, nil
	case strings.EqualFold(s, "never"):
		return 0, true, nil
	case strings.HasSuffix(s, "d"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n <= 0 || n > maxDays {
			return 0, false, fmt.Errorf("bad expiry %q: want a positive whole number of days up to %d", s, maxDays)
		}
		return time.Duration(n) * Day, false, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil {
		return 0, false, fmt.Errorf("bad expiry %q: want a duration (24h, 90d) or never", s)
	}
	if d <= 0 {
		return 0, false, fmt.Errorf("bad expiry %q: must be positive", s)
	}
	return d, false, nil
}

// FormatExpiry writes a duration the way ParseExpiry reads it, in days when
// it is a whole number of days ("90d"), else as a Go duration; 0 is "never".
func FormatExpiry(d time.Duration) string {
	switch {
	case d == 0:
		return "never"
	case d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	return d.String()
}

// errNeverNotAllowed explains a refused "never".
var errNeverNotAllowed = errors.New(`"never" is not allowed (see --allow-never)`)

// Lifetime resolves an asked expiry (as ParseExpiry reads it) under the
// policy: it returns the lifetime to grant, 0 meaning never. An unparsable
// expiry wraps store.ErrInvalid; "never" where the policy forbids it wraps
// ErrPolicy. An asked or default lifetime beyond MaxExpiry is capped to
// MaxExpiry (docs/cli.md#expiry-policy: "the configured policy caps it").
func (p Policy) Lifetime(asked string) (time.Duration, error) {
	d, never, err := ParseExpiry(asked)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	if never {
		if !p.AllowNever {
			return 0, fmt.Errorf("%w: %v", ErrPolicy, errNeverNotAllowed)
		}
		return 0, nil
	}
	if d == 0 {
		d = p.DefaultExpiry
		if d == 0 && p.AllowNever {
			return 0, nil
		}
	}
	if d == 0 || (p.MaxExpiry > 0 && d > p.MaxExpiry) {
		d = p.MaxExpiry
	}
	if d == 0 {
		return 0, fmt.Errorf("%w: no expiry asked and the policy has neither a default nor a maximum", ErrPolicy)
	}
	return d, nil
}

// Validate reports an inconsistent policy: negative durations, or a default
// of "never" that the policy itself forbids with no maximum to fall back on.
func (p Policy) Validate() error {
	if p.DefaultExpiry < 0 || p.MaxExpiry < 0 {
		return fmt.Errorf("%w: negative expiry in policy", ErrPolicy)
	}
	if p.DefaultExpiry == 0 && !p.AllowNever && p.MaxExpiry == 0 {
		return fmt.Errorf("%w: default expiry is never but never is not allowed", ErrPolicy)
	}
	return nil
}

// ParsePolicy builds a Policy from its textual settings (as ParseExpiry
// reads them): the default expiry (empty: emptyDefault), the cap, and
// whether "never" may be asked. A default of never needs allowNever. The
// error names the setting at fault ("default expiry: ...").
func ParsePolicy(defaultExpiry, maxExpiry string, allowNever bool, emptyDefault time.Duration) (Policy, error) {
	def, defNever, err := ParseExpiry(defaultExpiry)
	if err != nil {
		return Policy{}, fmt.Errorf("default expiry: %w", err)
	}
	maxd, _, err := ParseExpiry(maxExpiry)
	if err != nil {
		return Policy{}, fmt.Errorf("max expiry: %w", err)
	}
	if defNever && !allowNever {
		return Policy{}, fmt.Errorf("%w: a default expiry of never needs never to be allowed", ErrPolicy)
	}
	if def == 0 && !defNever {
		def = emptyDefault
	}
	p := Policy{DefaultExpiry: def, MaxExpiry: maxd, AllowNever: allowNever}
	return p, p.Validate()
}
