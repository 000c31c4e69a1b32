package patterns

import (
	"errors"
	"fmt"
	"strings"
)

// Signature anchors a format whose tokens have no prefix: a fixed literal
// every token carries at a fixed place. Microsoft's identifiable keys are
// such: an Azure storage account key is 86 base64 characters and "==",
// with "+ASt" 76 characters in (docs/token-format.md#signature-anchors).
// In TOML: signature = { text = "+ASt", offset = 76 }.
//
// A token of a signature format is the maximal run of alphabet characters
// around an occurrence of Text (then the format's padding, when it follows
// whole): the character before the token and the one after its run must
// not be in the alphabet, and Text must sit at Offset in it.
type Signature struct {
	// Text is the literal, 3 to 64 printable ASCII characters of the
	// alphabet.
	Text string `toml:"text" json:"text"`
	// Offset is where Text starts, counted from the token's first
	// character; with FromEnd, counted back from the end of the token
	// without its padding (so Text starts Offset characters before it).
	Offset int `toml:"offset" json:"offset"`
	// FromEnd says Offset counts from the end.
	FromEnd bool `toml:"from_end" json:"from_end,omitempty"`
}

// declared reports whether the format declares a signature.
func (s *Signature) declared() bool { return s.Text != "" || s.Offset != 0 || s.FromEnd }

// compileSignature checks a format's signature, or that it has prefixes
// when it has none. It runs after the body length and checksum checks.
func (f *Format) compileSignature() error {
	s := &f.Signature
	if !s.declared() {
		return checkPrefixes(f.Prefixes)
	}
	if len(f.Prefixes) > 0 {
		return errors.New("a format has prefixes or a signature, not both")
	}
	if err := checkPrefixes([]string{s.Text}); err != nil {
		return fmt.Errorf("signature: %s", strings.Replace(err.Error(), "prefix", "text", 1))
	}
	for i := 0; i < len(s.Text); i++ {
		if !f.alpha[s.Text[i]] {
			return fmt.Errorf("signature character %q is outside the alphabet", s.Text[i])
		}
	}
	switch f.Checksum.Algorithm {
	case AlgoBech32, AlgoBase58Check:
		return fmt.Errorf("a %s format needs prefixes", f.Checksum.Algorithm)
	}
	if f.Issued {
		return errors.New("an issued format needs a prefix")
	}
	// The signature lies in the body, at every allowed length.
	if s.FromEnd {
		if s.Offset < len(s.Text)+f.suffixLen() || s.Offset > f.TailMin() {
			return fmt.Errorf("signature offset %d from the end: want %d..%d", s.Offset, len(s.Text)+f.suffixLen(), f.TailMin())
		}
		return nil
	}
	if s.Offset < 0 || s.Offset+len(s.Text) > f.BodyMin {
		return fmt.Errorf("signature offset %d: want 0..%d", s.Offset, f.BodyMin-len(s.Text))
	}
	return nil
}

// HasSignature reports whether the format is anchored on a Signature
// rather than on prefixes.
func (f *Format) HasSignature() bool { return f.Signature.Text != "" }

// SignatureAt is where the signature starts in a token of n characters
// (without padding).
func (f *Format) SignatureAt(n int) int {
	if f.Signature.FromEnd {
		return n - f.Signature.Offset
	}
	return f.Signature.Offset
}

// Padding is what may follow a token's last alphabet character and then
// belongs to it: base64's '=' padding of a Marvin32 format ("==" after an
// 86-character key), "" for other formats. A token is valid with or
// without it; it is part of the token when it follows whole.
func (f *Format) Padding() string { return f.pad }

// trimPad removes the padding from the end of tail, when it is there.
func (f *Format) trimPad(tail []byte) []byte {
	if n := len(f.pad); n > 0 && len(tail) > n && string(tail[len(tail)-n:]) == f.pad {
		return tail[:len(tail)-n]
	}
	return tail
}

// signatureOK reports whether tail (a whole token without padding, of a
// valid length) holds the signature at its place.
func (f *Format) signatureOK(tail []byte) bool {
	at := f.SignatureAt(len(tail))
	return at >= 0 && at+len(f.Signature.Text) <= len(tail) && string(tail[at:at+len(f.Signature.Text)]) == f.Signature.Text
}

// Redact is the report form of a token of the format: its prefix, "…"
// (U+2026) and its last 4 characters. A prefix-less token shows its
// format's public signature between two "…" instead of a prefix
// ("…+ASt…Aw=="), which says what it is and reveals nothing of the secret
// beyond the last 4 characters, as for every other token.
func (f *Format) Redact(s Secret, prefix string) string {
	if f != nil && f.HasSignature() && prefix == "" {
		return "\u2026" + f.Signature.Text + s.Redact("")
	}
	return s.Redact(prefix)
}

// redactSignature redacts the token-shaped runs of a signature format f in
// s: each occurrence of the signature with the alphabet run it sits in (at
// its place: Offset characters before it, or from the run's start for
// FromEnd), then the padding, when the run is at least TailMin long. What
// stands before the run does not matter ("%3D" of URL encoding).
func redactSignature(f *Format, s string) string {
	sig := f.Signature.Text
	var b strings.Builder
	done := 0 // s[:done] is written
	for i := 0; ; {
		j := strings.Index(s[i:], sig)
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		start, end := tokenRunAround(f, s, at)
		if start < done || end-start < f.TailMin() {
			continue
		}
		if end+len(f.pad) <= len(s) && s[end:end+len(f.pad)] == f.pad {
			end += len(f.pad)
		}
		b.WriteString(s[done:start])
		b.WriteString(Redacted)
		done, i = end, end
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// tokenRunAround is the run of alphabet characters of f that the signature
// at s[at:] would sit in: from Offset characters before it (or, FromEnd,
// from as far left as the run goes within TailMax), to the end of the run.
// start > at means there is none.
func tokenRunAround(f *Format, s string, at int) (start, end int) {
	if f.Signature.FromEnd {
		start = at
		for start > 0 && at+len(f.Signature.Text)-start < f.TailMax() && f.alpha[s[start-1]] {
			start--
		}
	} else {
		start = at - f.Signature.Offset
		if start < 0 {
			return at + 1, at + 1
		}
		for k := start; k < at; k++ {
			if !f.alpha[s[k]] {
				return at + 1, at + 1
			}
		}
	}
	end = at
	for end < len(s) && f.alpha[s[end]] {
		end++
	}
	return start, end
}
