package patterns

import (
	"encoding/hex"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
)

// FuzzParseConfig: any input either fails with ErrConfig or yields a
// configuration whose catalog builds or fails cleanly; nothing panics.
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "*.toml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("[prefixes]\nuser = \"acme_\"\n[previous_prefixes]\nadmin = [\"x__\", \"y__\"]\n"))
	f.Add([]byte("[scopes]\nallowed = [\"read\", \"write\", \"deploy:prod\"]\n"))
	f.Add([]byte("[scopes]\nallowed = []\n"))
	f.Add([]byte("[scopes]\nallowed = [\"read\", \"read\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		for _, sc := range c.Scopes.Allowed {
			if leakguard.CheckScope(sc) != nil {
				t.Fatalf("allowed scope %q breaks the scope rule", sc)
			}
		}
		cat, err := c.Catalog()
		if err != nil {
			return
		}
		for _, typ := range []string{TypeUser, TypeService, TypeAdmin} {
			if fm, ok := cat.Issued(typ); !ok || fm.Prefixes[0] != c.IssuePrefix(typ) {
				t.Fatalf("%s: issued format does not use the configured prefix", typ)
			}
		}
	})
}

// refValid is a slow, obviously-correct validator written from the
// declaration with regexp, strconv and hex, sharing no code with Format.
func refValid(f *Format, token string) bool {
	if f.Checksum.Algorithm == AlgoMarvin32 {
		return refIdentifiableValid(f, token)
	}
	for _, p := range f.Prefixes {
		if !strings.HasPrefix(token, p) {
			continue
		}
		tail := token[len(p):]
		cs := f.Checksum
		re := regexp.MustCompile(`^[` + regexp.QuoteMeta(f.Alphabet) + `]*$`)
		re = regexp.MustCompile(strings.ReplaceAll(re.String(), `\-`, `-`))
		n := len(tail) - len(cs.Separator) - cs.Length
		if n < f.BodyMin || n > f.BodyMax || !re.MatchString(tail) {
			continue
		}
		body, sep, sum := tail[:n], tail[n:n+len(cs.Separator)], tail[n+len(cs.Separator):]
		if sep != cs.Separator {
			continue
		}
		if cs.Algorithm == AlgoNone || cs.Algorithm == "" {
			if refStructure(f.Structure, body) {
				return true
			}
			continue
		}
		if valid, handled := refValidExtra(cs, p, body, sum); handled {
			if valid {
				return true
			}
			continue
		}
		covered := body
		switch cs.Covers {
		case CoversPrefixBody:
			covered = p + body
		case CoversAll:
			covered = p + body + sep
		}
		want := refEncode(cs, crc32.ChecksumIEEE([]byte(covered)))
		if want == sum || cs.Encoding == EncHexAnyCase && strings.EqualFold(want, sum) {
			return true
		}
	}
	return false
}

// refStructure checks a body against a declared structure by splitting it:
// exactly one part per segment, each of the declared length and free of
// separator characters.
func refStructure(st Structure, body string) bool {
	if len(st.Segments) == 0 {
		return true
	}
	parts := strings.Split(body, st.Separator)
	if len(parts) != len(st.Segments) {
		return false
	}
	for i, part := range parts {
		if len(part) != st.Segments[i] || strings.ContainsAny(part, st.Separator) {
			return false
		}
	}
	return true
}

func refEncode(cs Checksum, v uint32) string {
	switch cs.Encoding {
	case EncHexLE:
		return hex.EncodeToString([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
	case EncHex:
		return zfill(strconv.FormatUint(uint64(v), 16), cs.Length)
	case EncHexAnyCase:
		return strings.ToUpper(zfill(strconv.FormatUint(uint64(v), 16), cs.Length))
	case EncBase36:
		return zfill(strconv.FormatUint(uint64(v), 36), cs.Length)
	}
	return zfill(refBase62(v), cs.Length)
}

// FuzzValid is the differential check of Format.Valid against refValid,
// over every format of the default catalog.
func FuzzValid(f *testing.F) {
	cat := Default()
	for _, fm := range cat.Formats() {
		for _, s := range append(append([]string(nil), fm.TruePositives...), fm.FalsePositives...) {
			f.Add(s)
		}
	}
	f.Add("glsa__________________________________7fffffff")
	f.Add("github_pat_" + strings.Repeat("_", 82))
	f.Add("github_pat_" + strings.Repeat("A", 22) + "__" + strings.Repeat("b", 58))
	f.Fuzz(func(t *testing.T, token string) {
		for _, fm := range cat.Formats() {
			if got, want := fm.Valid(token), refValid(fm, token); got != want {
				t.Fatalf("%s: Valid = %v, reference = %v", fm.ID, got, want)
			}
		}
	})
}

// FuzzStructure is the differential check of Structure validation against
// refStructure, over declarations as well as tokens: any declaration either
// fails to compile with ErrInvalidFormat or agrees with the reference.
func FuzzStructure(f *testing.F) {
	f.Add(uint8(22), uint8(59), uint8(0), "_", "0-9A-Za-z_",
		"github_pat_LeakguardSampleGhpat01_LeakguardSampleGithubFineGrainedPat012345678901234567890123")
	f.Add(uint8(3), uint8(4), uint8(2), "-", "a-z-", "sx_abc-defg-hi")
	f.Add(uint8(1), uint8(1), uint8(1), "..", "a.", "sx_a..a..a")
	f.Add(uint8(2), uint8(2), uint8(0), "_", "_", "sx_____")
	f.Fuzz(func(t *testing.T, a, b, c uint8, sep, alphabet, token string) {
		for i := 0; i < len(alphabet); i++ {
			if alphabet[i] <= ' ' || alphabet[i] > '~' {
				return // refValid's regexp reads the alphabet as UTF-8
			}
		}
		segs := []int{int(a), int(b)}
		if c > 0 {
			segs = append(segs, int(c))
		}
		fm := Format{ID: "fuzz", Prefixes: []string{"sx_"}, Alphabet: alphabet,
			Structure: Structure{Segments: segs, Separator: sep}}
		if err := fm.Compile(); err != nil {
			if !errors.Is(err, ErrInvalidFormat) {
				t.Fatalf("Compile = %v, want ErrInvalidFormat", err)
			}
			return
		}
		if got, want := fm.Validation(), ValidationStructure; got != want {
			t.Fatalf("Validation = %q, want %q", got, want)
		}
		if got, want := fm.Valid(token), refValid(&fm, token); got != want {
			t.Fatalf("Valid(%q) = %v, reference = %v", token, got, want)
		}
	})
}
