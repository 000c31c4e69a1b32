package webhook

import (
	"strings"

	"github.com/leakguard/leakguard/patterns"
)

// redactTokens replaces, in s, every prefix of cat's formats followed by at
// least TailMin characters of the format's alphabet (the shape of a token,
// checksum or not) with patterns.Redacted. Error messages quote request
// input (ids, field names, paths, parameters), and a caller may put a token
// in any of them; this keeps it out of responses and logs.
func redactTokens(cat *patterns.Catalog, s string) string {
	if cat == nil {
		return s
	}
	for _, f := range cat.Formats() {
		for _, p := range f.Prefixes {
			s = redactPrefix(f, p, s)
		}
	}
	return s
}

// redactPrefix redacts the token-shaped runs of f that start with prefix p.
func redactPrefix(f *patterns.Format, p, s string) string {
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
		b.WriteString(patterns.Redacted)
		rest = rest[j:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(rest)
	return b.String()
}
