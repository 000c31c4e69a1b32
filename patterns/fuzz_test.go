package patterns

import (
	"encoding/hex"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
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
		if valid, handled := refValidExtra(cs, p, body, sum); handled {
			if valid {
				return true
			}
			continue
		}
		covered := body
		if cs.Covers == CoversPrefixBody {
			covered = p + body
		}
		if refEncode(cs, crc32.ChecksumIEEE([]byte(covered))) == sum {
			return true
		}
	}
	return false
}

func refEncode(cs Checksum, v uint32) string {
	switch cs.Encoding {
	case EncHexLE:
		return hex.EncodeToString([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
	case EncHex:
		return zfill(strconv.FormatUint(uint64(v), 16), cs.Length)
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
	f.Fuzz(func(t *testing.T, token string) {
		for _, fm := range cat.Formats() {
			if got, want := fm.Valid(token), refValid(fm, token); got != want {
				t.Fatalf("%s: Valid = %v, reference = %v", fm.ID, got, want)
			}
		}
	})
}
