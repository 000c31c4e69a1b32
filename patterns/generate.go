package patterns

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// ErrNotGeneratable is returned by Generate for formats without a fixed
// body length and a CRC32 checksum.
var ErrNotGeneratable = errors.New("format cannot be generated")

// Generate mints a new token of the format: its first prefix, a body of
// BodyMin characters drawn uniformly from the body alphabet with rnd (nil
// means crypto/rand), then the separator and checksum. Rejection sampling
// avoids modulo bias. The body alphabet is the format's alphabet without the
// separator's characters.
func (f *Format) Generate(rnd io.Reader) (Secret, error) {
	if !f.compiled {
		return Secret{}, fmt.Errorf("generate %s: format not compiled", f.ID)
	}
	if f.BodyMin != f.BodyMax || f.Checksum.Algorithm != AlgoCRC32IEEE || f.HasSignature() {
		return Secret{}, fmt.Errorf("generate %s: %w", f.ID, ErrNotGeneratable)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	body := make([]byte, f.BodyMin)
	if err := fillUniform(rnd, f.bodyChars(), body); err != nil {
		return Secret{}, fmt.Errorf("generate %s: %w", f.ID, err)
	}
	return NewSecret(f.WithChecksum(f.Prefixes[0], string(body))), nil
}

// WithChecksum returns prefix+body followed by the format's separator and
// checksum (for Marvin32: the checksum characters and the padding; prefix
// is "" and body must hold the signature at its place). It needs no
// Compile, so declarations can build their own samples; it builds test
// fixtures from the scheme itself.
func (f *Format) WithChecksum(prefix, body string) string {
	cs := &f.Checksum
	switch cs.Algorithm {
	case "", AlgoNone:
		return prefix + body
	case AlgoMarvin32:
		return prefix + cs.marvinWithChecksum(body)
	}
	covered := body
	if cs.Covers == CoversAll {
		covered += cs.Separator
	}
	v := cs.sum(cs.prefixInit(prefix), []byte(covered))
	return prefix + body + cs.Separator + cs.encode(v)
}

// bodyChars lists the alphabet in byte order, without separator characters.
func (f *Format) bodyChars() []byte {
	var out []byte
	for c := 0; c < 256; c++ {
		if f.alpha[c] && !containsByte(f.Checksum.Separator, byte(c)) {
			out = append(out, byte(c))
		}
	}
	return out
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// fillUniform fills dst with characters chosen uniformly from alpha, reading
// random bytes and rejecting those at or above the largest multiple of
// len(alpha) that fits in a byte.
func fillUniform(rnd io.Reader, alpha []byte, dst []byte) error {
	n := len(alpha)
	if n == 0 || n > 256 {
		return fmt.Errorf("alphabet of %d characters", n)
	}
	limit := 256 - 256%n
	buf := make([]byte, 2*len(dst))
	i := 0
	for i < len(dst) {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return fmt.Errorf("read random: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			dst[i] = alpha[int(b)%n]
			i++
			if i == len(dst) {
				break
			}
		}
	}
	return nil
}
