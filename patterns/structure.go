package patterns

import (
	"errors"
	"fmt"
)

// How a format's tokens are validated (Format.Validation), as findings
// report it.
const (
	// ValidationChecksum: the token's checksum verifies.
	ValidationChecksum = "checksum"
	// ValidationStructure: the format has no checksum, but the body has the
	// exact shape its Structure declares.
	ValidationStructure = "structure"
	// ValidationPrefix: neither checksum nor structure; only the prefix,
	// the alphabet and the body length were checked. Only configured
	// formats can be like this.
	ValidationPrefix = "prefix"
)

// maxSegments bounds Structure.Segments.
const maxSegments = 16

// Structure declares the exact shape of a checksum-less body: len(Segments)
// runs of characters, joined by Separator. Segment characters are the
// alphabet's characters other than Separator's, so the separator stands
// exactly between segments and nowhere else. GitHub's fine-grained tokens
// are github_pat_ then Structure{Segments: []int{22, 59}, Separator: "_"}.
// In TOML: structure = { segments = [22, 59], separator = "_" }.
type Structure struct {
	// Segments are the segment lengths, in order: 2 to 16 of them, each at
	// least 1.
	Segments []int `toml:"segments" json:"segments,omitempty"`
	// Separator is the literal between segments. Its characters must be in
	// the format's alphabet, so that the scanner's run of alphabet
	// characters spans the whole token.
	Separator string `toml:"separator" json:"separator,omitempty"`
}

// declared reports whether the format has a structure.
func (s *Structure) declared() bool { return len(s.Segments) > 0 || s.Separator != "" }

// bodyLen is the length of a body of this structure.
func (s *Structure) bodyLen() int {
	n := len(s.Separator) * (len(s.Segments) - 1)
	for _, l := range s.Segments {
		n += l
	}
	return n
}

// compileStructure checks the structure against the rest of the declaration,
// fills BodyMin and BodyMax from it when both are 0, and builds the table
// of separator characters. It runs before the body length checks.
func (f *Format) compileStructure() error {
	s := &f.Structure
	if !s.declared() {
		return nil
	}
	if f.Checksum.Algorithm != "" && f.Checksum.Algorithm != AlgoNone {
		return errors.New("structure is for formats without a checksum")
	}
	if len(s.Segments) < 2 || len(s.Segments) > maxSegments || s.Separator == "" {
		return fmt.Errorf("structure needs 2..%d segments and a separator", maxSegments)
	}
	for _, l := range s.Segments {
		if l < 1 || l > 4096 {
			return fmt.Errorf("structure segment length %d outside 1..4096", l)
		}
	}
	f.sepChar = [256]bool{}
	for i := 0; i < len(s.Separator); i++ {
		c := s.Separator[i]
		if !f.alpha[c] {
			return fmt.Errorf("structure separator character %q is outside the alphabet", c)
		}
		f.sepChar[c] = true
	}
	segChars := 0
	for c := range 256 {
		if f.alpha[c] && !f.sepChar[c] {
			segChars++
		}
	}
	if segChars == 0 {
		return errors.New("structure leaves no segment characters")
	}
	n := s.bodyLen()
	if f.BodyMin == 0 && f.BodyMax == 0 {
		f.BodyMin, f.BodyMax = n, n
	}
	if f.BodyMin != n || (f.BodyMax != n && f.BodyMax != 0) {
		return fmt.Errorf("body length %d..%d, structure says %d", f.BodyMin, f.BodyMax, n)
	}
	return nil
}

// structureOK reports whether body has the declared structure (true when
// none is declared). The body's length and alphabet are already checked. It
// does not allocate.
func (f *Format) structureOK(body []byte) bool {
	s := &f.Structure
	if len(s.Segments) == 0 {
		return true
	}
	pos := 0
	for i, l := range s.Segments {
		if i > 0 {
			if pos+len(s.Separator) > len(body) || string(body[pos:pos+len(s.Separator)]) != s.Separator {
				return false
			}
			pos += len(s.Separator)
		}
		if pos+l > len(body) {
			return false
		}
		for _, c := range body[pos : pos+l] {
			if f.sepChar[c] {
				return false
			}
		}
		pos += l
	}
	return pos == len(body)
}

// Validation says how tokens of the format are validated:
// ValidationChecksum, ValidationStructure or ValidationPrefix.
func (f *Format) Validation() string {
	switch {
	case f.Checksum.Algorithm != "" && f.Checksum.Algorithm != AlgoNone:
		return ValidationChecksum
	case len(f.Structure.Segments) > 0:
		return ValidationStructure
	}
	return ValidationPrefix
}
