package patterns

import (
	"fmt"
	"sort"
	"strings"
)

// Token types of the formats leakguard issues.
const (
	TypeUser    = "user"
	TypeService = "service"
	TypeAdmin   = "admin"
)

// DefaultPrefixes are the prefixes of leakguard's own tokens per type.
func DefaultPrefixes() map[string]string {
	return map[string]string{TypeUser: "lgu_", TypeService: "lgs_", TypeAdmin: "lga_"}
}

// OwnFormat returns the declaration of leakguard's own token format for a
// type and prefix: 30 base62 characters from crypto/rand, then the CRC32-IEEE
// of the body in base62, 6 characters (docs/token-format.md#own-tokens, GitHub's scheme).
func OwnFormat(tokenType, prefix string) Format {
	return OwnFormatPrefixes(tokenType, []string{prefix})
}

// OwnFormatPrefixes is OwnFormat recognising several prefixes: the first is
// the one tokens are issued with, the others are still recognised as ours
// (earlier or default prefixes). Samples are built from the scheme for each.
func OwnFormatPrefixes(tokenType string, prefixes []string) Format {
	f := Format{
		ID:          "leakguard-" + tokenType,
		Description: "leakguard-issued " + tokenType + " API token",
		Prefixes:    append([]string(nil), prefixes...),
		Alphabet:    "0-9A-Za-z",
		BodyMin:     30,
		BodyMax:     30,
		Checksum:    Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBase62, Length: 6, Covers: CoversBody},
		Issued:      true,
		TokenType:   tokenType,
		Source:      "leakguard docs/token-format.md#own-tokens (GitHub's ghp_ scheme)",
	}
	return withGeneratedSamples(f, "Own")
}

// OwnFormats returns the own-token family for the given type → prefix map
// (DefaultPrefixes when nil), sorted by type.
func OwnFormats(prefixes map[string]string) []Format {
	if prefixes == nil {
		prefixes = DefaultPrefixes()
	}
	types := make([]string, 0, len(prefixes))
	for t := range prefixes {
		types = append(types, t)
	}
	sort.Strings(types)
	out := make([]Format, 0, len(types))
	for _, t := range types {
		out = append(out, OwnFormat(t, prefixes[t]))
	}
	return out
}

// Catalog is a compiled, read-only set of formats, safe for concurrent use.
type Catalog struct {
	formats []*Format
	byID    map[string]*Format
}

// NewCatalog compiles the formats and checks each against its samples
// (CheckSamples). IDs must be unique; a prefix may belong to only one
// format.
func NewCatalog(formats ...Format) (*Catalog, error) {
	c := &Catalog{byID: make(map[string]*Format, len(formats))}
	prefixOwner := map[string]string{}
	for i := range formats {
		f := formats[i]
		f.Prefixes = append([]string(nil), f.Prefixes...)
		f.TruePositives = append([]string(nil), f.TruePositives...)
		f.FalsePositives = append([]string(nil), f.FalsePositives...)
		f.Structure.Segments = append([]int(nil), f.Structure.Segments...)
		if err := f.Compile(); err != nil {
			return nil, err
		}
		if err := CheckSamples(&f); err != nil {
			return nil, err
		}
		if _, dup := c.byID[f.ID]; dup {
			return nil, fmt.Errorf("%w: duplicate id %s", ErrInvalidFormat, f.ID)
		}
		for _, p := range f.Prefixes {
			if other, dup := prefixOwner[p]; dup {
				return nil, fmt.Errorf("%w: prefix %q of %s already belongs to %s", ErrInvalidFormat, p, f.ID, other)
			}
			prefixOwner[p] = f.ID
		}
		c.formats = append(c.formats, &f)
		c.byID[f.ID] = &f
	}
	return c, nil
}

// Default returns the catalog of leakguard's own default family plus every
// vendor format of Vendors.
func Default() *Catalog {
	c, err := NewCatalog(append(OwnFormats(nil), Vendors()...)...)
	if err != nil {
		panic("patterns: built-in catalog is invalid: " + err.Error())
	}
	return c
}

// Formats returns the compiled formats in declaration order. Callers must not
// modify them.
func (c *Catalog) Formats() []*Format { return c.formats }

// ByID returns the format with the given id.
func (c *Catalog) ByID(id string) (*Format, bool) {
	f, ok := c.byID[id]
	return f, ok
}

// Issued returns the format leakguard issues for a token type.
func (c *Catalog) Issued(tokenType string) (*Format, bool) {
	for _, f := range c.formats {
		if f.Issued && f.TokenType == tokenType {
			return f, true
		}
	}
	return nil, false
}

// Identify returns the format that token is a valid token of.
func (c *Catalog) Identify(token string) (*Format, bool) {
	for _, f := range c.formats {
		if f.Valid(token) {
			return f, true
		}
	}
	return nil, false
}

// MaxLen is the longest token any format of the catalog can match.
func (c *Catalog) MaxLen() int {
	m := 0
	for _, f := range c.formats {
		m = max(m, f.MaxLen())
	}
	return m
}

// PrefixOf returns the prefix of f that token starts with, or "".
func PrefixOf(f *Format, token string) string {
	p, _, _ := f.Split(token)
	return p
}

// String lists the catalog's format ids.
func (c *Catalog) String() string {
	ids := make([]string, len(c.formats))
	for i, f := range c.formats {
		ids[i] = f.ID
	}
	return "catalog[" + strings.Join(ids, ",") + "]"
}
