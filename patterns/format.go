package patterns

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidFormat is returned when a Format's declaration is inconsistent.
var ErrInvalidFormat = errors.New("invalid token format")

// Prefix length bounds: a shorter prefix would make every scan slow and
// noisy, a longer one is not a prefix.
const (
	MinPrefixLen = 3
	MaxPrefixLen = 64
)

// Format is one token format, as data. A token is one of Prefixes, then
// BodyMin..BodyMax characters from Alphabet, then Checksum.Separator, then
// Checksum.Length checksum characters (also from Alphabet). The character
// after a token, if any, must not belong to Alphabet. A format without a
// checksum may declare a Structure that its body must have exactly. A
// format without prefixes is anchored on a Signature instead: a literal at
// a fixed place in the body (then the character before a token must not
// belong to Alphabet either).
type Format struct {
	// ID names the format in findings ("github-pat", "leakguard-user").
	ID string `toml:"id" json:"id"`
	// Description says what the token grants, for reports and SARIF rules.
	Description string `toml:"description" json:"description,omitempty"`
	// Prefixes are the literal prefixes the format starts with. The first
	// is the one Generate uses. A format anchored on a Signature has none.
	Prefixes []string `toml:"prefixes" json:"prefixes"`
	// Signature anchors a format without prefixes: a literal at a fixed
	// place in every token (Microsoft's identifiable keys).
	Signature Signature `toml:"signature" json:"signature,omitzero"`
	// Alphabet lists the body characters, as literal characters and
	// ranges ("0-9A-Za-z"); a literal '-' goes first or last.
	Alphabet string `toml:"alphabet" json:"alphabet"`
	// BodyMin and BodyMax bound the body length (without separator and
	// checksum). BodyMax 0 means BodyMin.
	BodyMin int `toml:"body_min" json:"body_min"`
	BodyMax int `toml:"body_max" json:"body_max"`
	// Checksum declares the trailing checksum.
	Checksum Checksum `toml:"checksum" json:"checksum"`
	// Structure declares the exact shape of the body of a format without a
	// checksum (segments joined by a separator); BodyMin and BodyMax may
	// then be left 0.
	Structure Structure `toml:"structure" json:"structure,omitzero"`
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

	alpha     [256]bool
	digits    string    // checksum digit alphabet
	prefixCRC []uint32  // CRC32 of each prefix, for prefix+body coverage
	sepChar   [256]bool // Structure.Separator's characters
	pad       string    // Padding
	seeds     []uint64  // Checksum.Seeds, as numbers
	b64       *base64Values
	compiled  bool
}

// Compile checks the declaration and prepares the lookup tables. It must be
// called (NewCatalog does) before Valid, ValidTail or InAlphabet.
func (f *Format) Compile() error {
	if f.ID == "" {
		return fmt.Errorf("%w: missing id", ErrInvalidFormat)
	}
	if err := f.compile(); err != nil {
		return fmt.Errorf("%w %s: %v", ErrInvalidFormat, f.ID, err)
	}
	f.compiled = true
	return nil
}

func (f *Format) compile() error {
	set, err := expandAlphabet(f.Alphabet)
	if err != nil {
		return err
	}
	f.alpha = set
	if err := f.compileStructure(); err != nil {
		return err
	}
	if f.BodyMax == 0 {
		f.BodyMax = f.BodyMin
	}
	if f.BodyMin <= 0 || f.BodyMax < f.BodyMin || f.BodyMax > 4096 {
		return fmt.Errorf("body length %d..%d", f.BodyMin, f.BodyMax)
	}
	if err := f.Checksum.validate(&f.alpha); err != nil {
		return err
	}
	if err := f.compileSignature(); err != nil {
		return err
	}
	if err := f.validateShape(); err != nil {
		return err
	}
	if f.Checksum.Algorithm != AlgoNone {
		f.digits, _ = encodingDigits(f.Checksum.Encoding)
	}
	f.prefixCRC = make([]uint32, len(f.Prefixes))
	for i, p := range f.Prefixes {
		f.prefixCRC[i] = f.Checksum.prefixInit(p)
	}
	f.pad, f.seeds, f.b64 = "", nil, nil
	if f.Checksum.Algorithm == AlgoMarvin32 {
		f.pad = base64Pad(f.TailMin())
		for _, sd := range f.Checksum.Seeds {
			f.seeds = append(f.seeds, marvinSeed(sd))
		}
		f.b64 = newBase64Values(f.digits)
	}
	if f.Issued {
		return f.checkIssuable()
	}
	return nil
}

// checkIssuable checks that leakguard can mint tokens of an issued format.
func (f *Format) checkIssuable() error {
	switch f.TokenType {
	case TypeUser, TypeService, TypeAdmin:
	default:
		return fmt.Errorf("issued format has token type %q (want user, service or admin)", f.TokenType)
	}
	if f.BodyMin != f.BodyMax || f.Checksum.Algorithm != AlgoCRC32IEEE {
		return errors.New("issued format needs a fixed body length and a crc32 checksum")
	}
	return nil
}

// checkPrefixes requires MinPrefixLen..MaxPrefixLen printable ASCII
// characters without spaces, and no duplicates.
func checkPrefixes(prefixes []string) error {
	if len(prefixes) == 0 {
		return errors.New("no prefixes")
	}
	seen := make(map[string]bool, len(prefixes))
	for _, p := range prefixes {
		if len(p) < MinPrefixLen || len(p) > MaxPrefixLen {
			return fmt.Errorf("prefix %q: length %d outside %d..%d", p, len(p), MinPrefixLen, MaxPrefixLen)
		}
		for i := 0; i < len(p); i++ {
			if p[i] <= ' ' || p[i] > '~' {
				return fmt.Errorf("prefix %q: character %q is not printable ASCII", p, p[i])
			}
		}
		if seen[p] {
			return fmt.Errorf("prefix %q listed twice", p)
		}
		seen[p] = true
	}
	return nil
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
	for c := 0; c <= ' '; c++ {
		if set[c] {
			return set, fmt.Errorf("alphabet contains control or space character %q", byte(c))
		}
	}
	return set, nil
}

// InAlphabet reports whether c may appear in the format's body, separator
// or checksum.
func (f *Format) InAlphabet(c byte) bool { return f.alpha[c] }

// TailMin is the shortest body plus separator and checksum.
func (f *Format) TailMin() int { return f.BodyMin + f.suffixLen() }

// TailMax is the longest body plus separator and checksum.
func (f *Format) TailMax() int { return f.BodyMax + f.suffixLen() }

func (f *Format) suffixLen() int { return len(f.Checksum.Separator) + f.Checksum.Length }

// MaxLen is the longest token of the format, prefix and padding included.
func (f *Format) MaxLen() int {
	m := 0
	for _, p := range f.Prefixes {
		m = max(m, len(p))
	}
	return m + f.TailMax() + len(f.pad)
}

// ValidTail reports whether tail (body, separator, checksum and, when it
// is there, Padding: everything after prefix) is a well-formed token of the
// format whose checksum verifies or, without a checksum, whose body has the
// declared Structure. prefix must be one of the format's prefixes, or ""
// for a format anchored on a Signature (tail is then the whole token, with
// the signature at its place). It does not allocate.
func (f *Format) ValidTail(prefix string, tail []byte) bool {
	tail = f.trimPad(tail)
	if len(tail) < f.TailMin() || len(tail) > f.TailMax() {
		return false
	}
	for _, c := range tail {
		if !f.alpha[c] {
			return false
		}
	}
	if f.HasSignature() && (prefix != "" || !f.signatureOK(tail)) {
		return false
	}
	cs := &f.Checksum
	switch cs.Algorithm {
	case AlgoNone:
		return f.structureOK(tail)
	case AlgoBase58Check:
		_, ok := f.prefixState(prefix)
		return ok && base58CheckValid(prefix, tail)
	case AlgoMarvin32:
		return f.b64 != nil && marvinValid(f.b64, f.seeds, tail)
	}
	n := len(tail) - cs.Length
	sep := n - len(cs.Separator)
	if string(tail[sep:n]) != cs.Separator {
		return false
	}
	pcrc, ok := f.prefixState(prefix)
	if !ok {
		return false
	}
	covered := tail[:sep]
	if cs.Covers == CoversAll {
		covered = tail[:n]
	}
	if !cs.matches(f.digits, cs.sum(pcrc, covered), tail[n:]) {
		return false
	}
	return cs.Algorithm != AlgoBech32 || bech32PaddingOK(tail[:sep])
}

// prefixState returns the precomputed checksum state of prefix
// (Checksum.prefixInit); "" is the prefix of a signature format.
func (f *Format) prefixState(prefix string) (uint32, bool) {
	if f.HasSignature() {
		return 0, prefix == "" // the CRC32 of nothing
	}
	for i, p := range f.Prefixes {
		if p == prefix {
			return f.prefixCRC[i], true
		}
	}
	return 0, false
}

// Split returns the longest prefix of the format that token starts with and
// the rest. ok is false when no prefix of the format matches. For a format
// anchored on a Signature, the prefix is "" and ok says whether token holds
// the signature.
func (f *Format) Split(token string) (prefix, tail string, ok bool) {
	if f.HasSignature() {
		return "", token, strings.Contains(token, f.Signature.Text)
	}
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

// Valid reports whether token is exactly one well-formed token of the
// format that passes its validation (checksum or structure).
func (f *Format) Valid(token string) bool {
	if !f.compiled {
		return false
	}
	if f.HasSignature() {
		return f.ValidTail("", []byte(token))
	}
	for _, p := range f.Prefixes {
		if strings.HasPrefix(token, p) && f.ValidTail(p, []byte(token[len(p):])) {
			return true
		}
	}
	return false
}
