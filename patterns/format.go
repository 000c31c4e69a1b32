package patterns

import (
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// Checksum algorithms understood by Format.
const (
	AlgoNone      = "none"
	AlgoCRC32IEEE = "crc32-ieee"
)

// Checksum encodings understood by Format. Digits are written most
// significant first, left-padded with the alphabet's zero digit.
const (
	EncBase62 = "base62" // 0-9A-Za-z
	EncBase36 = "base36" // 0-9a-z
	EncHex    = "hex"    // 0-9a-f
)

// What a checksum covers.
const (
	CoversBody       = "body"
	CoversPrefixBody = "prefix+body"
)

// Base62 is the alphabet of our tokens' bodies and checksums, in digit order.
const Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ErrInvalidFormat is returned when a Format's declaration is inconsistent.
var ErrInvalidFormat = errors.New("invalid token format")

// Checksum declares how a format's trailing checksum is computed and written.
type Checksum struct {
	Algorithm string `toml:"algorithm" json:"algorithm"`
	Encoding  string `toml:"encoding" json:"encoding,omitempty"`
	Length    int    `toml:"length" json:"length,omitempty"`
	Covers    string `toml:"covers" json:"covers,omitempty"`
}

// Format is one token format, as data. A token is one of Prefixes, then
// BodyMin..BodyMax characters from Alphabet, then Checksum.Length checksum
// characters (also from Alphabet). The character after a token, if any, must
// not belong to Alphabet.
type Format struct {
	// ID names the format in findings ("github-pat", "leakguard-user").
	ID string `toml:"id" json:"id"`
	// Description says what the token grants, for reports and SARIF rules.
	Description string `toml:"description" json:"description,omitempty"`
	// Prefixes are the literal prefixes the format starts with.
	Prefixes []string `toml:"prefixes" json:"prefixes"`
	// Alphabet lists the body characters, as literal characters and
	// ranges ("0-9A-Za-z"); a literal '-' goes first or last.
	Alphabet string `toml:"alphabet" json:"alphabet"`
	// BodyMin and BodyMax bound the body length (without checksum).
	BodyMin int `toml:"body_min" json:"body_min"`
	BodyMax int `toml:"body_max" json:"body_max"`
	// Checksum declares the trailing checksum.
	Checksum Checksum `toml:"checksum" json:"checksum"`
	// Issued marks formats this leakguard installation issues itself; only
	// those are looked up in the store and revoked.
	Issued bool `toml:"issued" json:"issued,omitempty"`
	// TokenType is the store type of issued formats: user, service or admin.
	TokenType string `toml:"token_type" json:"token_type,omitempty"`
	// Source cites where the scheme is documented.
	Source string `toml:"source" json:"source,omitempty"`
	// TruePositives are tokens the format must accept.
	TruePositives []string `toml:"true_positives" json:"true_positives,omitempty"`
	// FalsePositives are look-alikes the format must reject.
	FalsePositives []string `toml:"false_positives" json:"false_positives,omitempty"`

	alpha    [256]bool
	csDigits string
	compiled bool
}

// Compile checks the declaration and prepares the lookup tables. It must be
// called (NewCatalog does) before Valid, ValidTail or InAlphabet.
func (f *Format) Compile() error {
	if f.ID == "" {
		return fmt.Errorf("%w: missing id", ErrInvalidFormat)
	}
	if len(f.Prefixes) == 0 {
		return fmt.Errorf("%w %s: no prefixes", ErrInvalidFormat, f.ID)
	}
	for _, p := range f.Prefixes {
		if p == "" {
			return fmt.Errorf("%w %s: empty prefix", ErrInvalidFormat, f.ID)
		}
	}
	set, err := expandAlphabet(f.Alphabet)
	if err != nil {
		return fmt.Errorf("%w %s: %v", ErrInvalidFormat, f.ID, err)
	}
	f.alpha = set
	if f.BodyMax == 0 {
		f.BodyMax = f.BodyMin
	}
	if f.BodyMin <= 0 || f.BodyMax < f.BodyMin {
		return fmt.Errorf("%w %s: body length %d..%d", ErrInvalidFormat, f.ID, f.BodyMin, f.BodyMax)
	}
	if err := f.compileChecksum(); err != nil {
		return fmt.Errorf("%w %s: %v", ErrInvalidFormat, f.ID, err)
	}
	f.compiled = true
	return nil
}

func (f *Format) compileChecksum() error {
	c := &f.Checksum
	switch c.Algorithm {
	case "", AlgoNone:
		c.Algorithm, c.Length, f.csDigits = AlgoNone, 0, ""
		return nil
	case AlgoCRC32IEEE:
	default:
		return fmt.Errorf("unknown checksum algorithm %q", c.Algorithm)
	}
	digits, err := encodingDigits(c.Encoding)
	if err != nil {
		return err
	}
	if c.Covers == "" {
		c.Covers = CoversBody
	}
	if c.Covers != CoversBody && c.Covers != CoversPrefixBody {
		return fmt.Errorf("unknown checksum coverage %q", c.Covers)
	}
	if need := digitsFor32(len(digits)); c.Length < need {
		return fmt.Errorf("checksum length %d too short for %s (need %d)", c.Length, c.Encoding, need)
	}
	for i := 0; i < len(digits); i++ {
		if !f.alpha[digits[i]] {
			return fmt.Errorf("checksum digit %q is outside the alphabet", digits[i])
		}
	}
	f.csDigits = digits
	return nil
}

func encodingDigits(enc string) (string, error) {
	switch enc {
	case EncBase62:
		return Base62, nil
	case EncBase36:
		return "0123456789abcdefghijklmnopqrstuvwxyz", nil
	case EncHex:
		return "0123456789abcdef", nil
	}
	return "", fmt.Errorf("unknown checksum encoding %q", enc)
}

// digitsFor32 is how many base-n digits a uint32 needs.
func digitsFor32(n int) int {
	d, v := 0, uint64(1)
	for v <= 0xffffffff {
		v *= uint64(n)
		d++
	}
	return d
}

func expandAlphabet(spec string) ([256]bool, error) {
	var set [256]bool
	if spec == "" {
		return set, errors.New("empty alphabet")
	}
	for i := 0; i < len(spec); i++ {
		lo := spec[i]
		if i+2 < len(spec) && spec[i+1] == '-' {
			hi := spec[i+2]
			if hi < lo {
				return set, fmt.Errorf("bad alphabet range %c-%c", lo, hi)
			}
			for c := int(lo); c <= int(hi); c++ {
				set[c] = true
			}
			i += 2
			continue
		}
		set[lo] = true
	}
	return set, nil
}

// InAlphabet reports whether c may appear in the format's body or checksum.
func (f *Format) InAlphabet(c byte) bool { return f.alpha[c] }

// TailMin and TailMax bound the length of body plus checksum.
func (f *Format) TailMin() int { return f.BodyMin + f.Checksum.Length }

// TailMax is the longest body plus checksum.
func (f *Format) TailMax() int { return f.BodyMax + f.Checksum.Length }

// MaxLen is the longest token of the format, prefix included.
func (f *Format) MaxLen() int {
	m := 0
	for _, p := range f.Prefixes {
		m = max(m, len(p))
	}
	return m + f.TailMax()
}

// ValidTail reports whether tail (body and checksum, everything after
// prefix) is a well-formed, checksum-valid token of the format. It does not
// allocate.
func (f *Format) ValidTail(prefix string, tail []byte) bool {
	if len(tail) < f.TailMin() || len(tail) > f.TailMax() {
		return false
	}
	for _, c := range tail {
		if !f.alpha[c] {
			return false
		}
	}
	return f.checksumOK(prefix, tail)
}

func (f *Format) checksumOK(prefix string, tail []byte) bool {
	if f.Checksum.Algorithm == AlgoNone {
		return true
	}
	n := len(tail) - f.Checksum.Length
	body, got := tail[:n], tail[n:]
	var sum uint32
	if f.Checksum.Covers == CoversPrefixBody {
		sum = crc32.Update(crc32.ChecksumIEEE([]byte(prefix)), crc32.IEEETable, body)
	} else {
		sum = crc32.ChecksumIEEE(body)
	}
	return encodedEqual(sum, f.csDigits, got)
}

// encodedEqual reports whether got is v written in the digits' base, most
// significant first, left-padded with digits[0] to len(got).
func encodedEqual(v uint32, digits string, got []byte) bool {
	base := uint32(len(digits))
	for i := len(got) - 1; i >= 0; i-- {
		if got[i] != digits[v%base] {
			return false
		}
		v /= base
	}
	return v == 0
}

// encode writes v in the digits' base, left-padded to width.
func encode(v uint32, digits string, width int) string {
	out := make([]byte, width)
	base := uint32(len(digits))
	for i := width - 1; i >= 0; i-- {
		out[i] = digits[v%base]
		v /= base
	}
	return string(out)
}

// Split returns the prefix a token starts with and the rest. ok is false when
// no prefix of the format matches.
func (f *Format) Split(token string) (prefix, tail string, ok bool) {
	best := ""
	for _, p := range f.Prefixes {
		if strings.HasPrefix(token, p) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return "", "", false
	}
	return best, token[len(best):], true
}

// Valid reports whether token is exactly one well-formed, checksum-valid
// token of the format.
func (f *Format) Valid(token string) bool {
	prefix, tail, ok := f.Split(token)
	return ok && f.ValidTail(prefix, []byte(tail))
}
