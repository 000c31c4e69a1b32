package patterns

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSample is returned when a format rejects one of its true-positive
// samples or accepts one of its false-positive samples.
var ErrSample = errors.New("format sample check failed")

// CheckSamples validates f (which must be compiled) against its own
// samples. Errors name a sample by its index and redacted form only.
func CheckSamples(f *Format) error {
	for i, s := range f.TruePositives {
		if !f.Valid(s) {
			return fmt.Errorf("%w: %s rejects true_positives[%d] %s", ErrSample, f.ID, i, redactSample(f, s))
		}
	}
	for i, s := range f.FalsePositives {
		if f.Valid(s) {
			return fmt.Errorf("%w: %s accepts false_positives[%d] %s", ErrSample, f.ID, i, redactSample(f, s))
		}
	}
	return nil
}

func redactSample(f *Format, s string) string {
	p, _, _ := f.Split(s)
	return f.Redact(NewSecret(s), p)
}

// sampleBody returns a recognisably fake body of n characters: "Leakguard",
// the tag, then digits, all drawn from the base62 alphabet.
func sampleBody(tag string, n int) string {
	var b strings.Builder
	b.WriteString("LeakguardSample")
	b.WriteString(tag)
	for i := 0; b.Len() < n; i++ {
		b.WriteByte(Base62[i%10])
	}
	return b.String()[:n]
}

// bumpLast replaces the last character of s by the next digit of the
// format's checksum alphabet: a same-shape look-alike with a wrong checksum.
func bumpLast(f *Format, s string) string {
	digits, err := encodingDigits(f.Checksum.Encoding)
	if err != nil || s == "" {
		return s + "!"
	}
	last := s[len(s)-1]
	i := strings.IndexByte(digits, last)
	return s[:len(s)-1] + string(digits[(i+1)%len(digits)])
}

// withGeneratedSamples adds samples built from the scheme of a fixed-length,
// base62-bodied format: for each prefix a valid token, and as look-alikes a
// wrong checksum, a body one character short (with its own valid checksum),
// the checksum computed over the other coverage, and a valid token with one
// more alphabet character after it.
func withGeneratedSamples(f Format, tag string) Format {
	for _, p := range f.Prefixes {
		body := sampleBody(tag, f.BodyMin)
		tp := f.WithChecksum(p, body)
		other := f
		other.Checksum.Covers = CoversPrefixBody
		if f.Checksum.Covers == CoversPrefixBody {
			other.Checksum.Covers = CoversBody
		}
		f.TruePositives = append(f.TruePositives, tp)
		f.FalsePositives = append(f.FalsePositives,
			bumpLast(&f, tp),
			f.WithChecksum(p, body[:len(body)-1]),
			other.WithChecksum(p, body),
			tp+"Z",
		)
	}
	return f
}
