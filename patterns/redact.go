package patterns

import "strings"

// RedactTokens returns s with every token-shaped run replaced by Redacted:
// a prefix of one of c's formats followed by at least TailMin characters of
// that format's alphabet, checksum or not; for a format anchored on a
// Signature, the run of its alphabet that holds the signature at its place
// (and the padding after it). It is for messages that quote outside input
// (request ids, paths, field names, configuration keys), where a token may
// sit anywhere.
func (c *Catalog) RedactTokens(s string) string {
	if c == nil {
		return s
	}
	for _, f := range c.formats {
		if f.HasSignature() {
			s = redactSignature(f, s)
			continue
		}
		for _, p := range f.Prefixes {
			s = redactPrefix(f, p, s)
		}
	}
	return s
}

// redactPrefix redacts the token-shaped runs of f that start with prefix p.
func redactPrefix(f *Format, p, s string) string {
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, p)
		if i < 0 {
			break
		}
		j := i + len(p)
		for j < len(rest) && f.InAlphabet(rest[j]) {
			j++
		}
		if j-i-len(p) < f.TailMin() {
			b.WriteString(rest[:i+len(p)])
			rest = rest[i+len(p):]
			continue
		}
		b.WriteString(rest[:i])
		b.WriteString(Redacted)
		rest = rest[j:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(rest)
	return b.String()
}
