package patterns

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The reference generators below are straight ports of each vendor's
// published code (cited in vendors.go). They share nothing with Format, so
// agreeing with them shows the declarations describe the real schemes.

// refBase62 is Djblets' _base62_encode (and GitHub's encoding).
func refBase62(n uint32) string {
	if n == 0 {
		return "0"
	}
	var r []byte
	for n > 0 {
		r = append([]byte{Base62[n%62]}, r...)
		n /= 62
	}
	return string(r)
}

func zfill(s string, n int) string { return strings.Repeat("0", max(0, n-len(s))) + s }

// refGitHub builds a GitHub/npm-style token, and a Djblets token when the
// body is 245 characters and prefix "rbp_".
func refGitHub(prefix, body string) string {
	return prefix + body + zfill(refBase62(crc32.ChecksumIEEE([]byte(body))), 6)
}

// refGrafana is satokengen.PrefixedKey.String after CalculateChecksum.
func refGrafana(secret string) string {
	key := "glsa_" + secret
	c := crc32.ChecksumIEEE([]byte(key))
	return key + "_" + hex.EncodeToString([]byte{byte(c), byte(c >> 8), byte(c >> 16), byte(c >> 24)})
}

// refGitLab is RoutableToken#encode_payload followed by #append_crc.
func refGitLab(prefix string, random []byte, payload string) string {
	enc := string(random) + payload + string([]byte{byte(len(payload))})
	b := base64.RawURLEncoding.EncodeToString([]byte(enc))
	s := prefix + b + ".01." + zfill(strconv.FormatInt(int64(len(b)), 36), 2)
	return s + zfill(strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(s))), 36), 7)
}

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// refFineGrained is GitHub's fine-grained token shape as secret scanners
// match it, written independently of Structure.
var refFineGrained = regexp.MustCompile(`^github_pat_[0-9a-zA-Z]{22}_[0-9a-zA-Z]{59}$`)

// refToken builds a random token of the format with the vendor's own
// algorithm.
func refToken(r *rand.Rand, id, prefix string) string {
	switch id {
	case "github-fine-grained-pat":
		return prefix + randString(r, Base62, 22) + "_" + randString(r, Base62, 59)
	case "reviewboard-api-token":
		return refGitHub(prefix, randString(r, Base62, 245))
	case "grafana-service-account-token":
		return refGrafana(randString(r, Base62, 32))
	case "gitlab-pat", "gitlab-runner-token":
		random := []byte(randString(r, "\x00\x01\xfe\xffabcXYZ", 16))
		keys := []string{"c", "g", "o", "p", "t", "u"}
		var parts []string
		for _, k := range keys[:1+r.IntN(len(keys))] {
			parts = append(parts, k+":"+strconv.FormatInt(r.Int64N(1<<40), 36))
		}
		return refGitLab(prefix, random, strings.Join(parts, "\n"))
	}
	if tok, ok := refKeyToken(r, id, prefix); ok {
		return tok
	}
	return refGitHub(prefix, randString(r, Base62, 30)) // GitHub, npm, ours
}

// refFormatToken is refToken with the format, for the schemes whose port
// needs its declaration (Microsoft's keys) or has no prefix to pass.
func refFormatToken(r *rand.Rand, f *Format, prefix string) string {
	switch {
	case f.ID == "atlassian-api-token":
		return refAtlassian(r)
	case f.HasSignature():
		return refMicrosoftToken(r, f)
	}
	return refToken(r, f.ID, prefix)
}

// TestVendorSchemesAgainstReference: tokens minted by each vendor's own
// algorithm are valid and identified as that vendor; a one-character change
// of the checksum (of a structure-validated format: of its separator) is
// not.
func TestVendorSchemesAgainstReference(t *testing.T) {
	t.Parallel()
	c := fullCatalog(t)
	for _, f := range c.Formats() {
		t.Run(f.ID, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, uint64(len(f.ID))))
			prefixes := f.Prefixes
			if f.HasSignature() {
				prefixes = []string{""}
			}
			for _, p := range prefixes {
				for i := 0; i < 200; i++ {
					tok := refFormatToken(r, f, p)
					if g, ok := c.Identify(tok); !ok || g.ID != f.ID {
						t.Fatalf("reference token %d (%s) identified as %v, %v", i, f.Redact(NewSecret(tok), p), g, ok)
					}
					if f.Valid(breakToken(f, p, tok)) {
						t.Fatalf("reference token %d with a changed checksum or separator is valid", i)
					}
				}
			}
		})
	}
}

// breakToken changes one character of tok that validation depends on: the
// last checksum character, or the first structure separator.
func breakToken(f *Format, prefix, tok string) string {
	if f.HasSignature() {
		data := strings.TrimRight(tok, "=")
		return bumpLast(f, data) + tok[len(data):]
	}
	if f.Validation() != ValidationStructure {
		return bumpLast(f, tok)
	}
	i := len(prefix) + strings.Index(tok[len(prefix):], f.Structure.Separator)
	return tok[:i] + "0" + tok[i+1:]
}

// TestVendorSamplesAreReferenceTokens: the literal samples in vendors.go are
// what the vendors' own algorithms produce for those bodies.
func TestVendorSamplesAreReferenceTokens(t *testing.T) {
	t.Parallel()
	c := fullCatalog(t)
	for _, f := range c.Formats() {
		for i, tp := range f.TruePositives {
			t.Run(fmt.Sprintf("%s/%d", f.ID, i), func(t *testing.T) {
				t.Parallel()
				p, tail, _ := f.Split(tp)
				var want string
				if ref, ok := refKeySample(t, f.ID, tp); ok {
					if tp != ref {
						t.Errorf("sample %s differs from the reference token", NewSecret(tp).Redact(p))
					}
					return
				}
				switch {
				case f.HasSignature():
					want = refMicrosoftSample(f, tp)
				case f.ID == "atlassian-api-token":
					if want = tp; !strings.EqualFold(tp[len(tp)-8:], fmt.Sprintf("%08X", crc32.ChecksumIEEE([]byte(tp[:len(tp)-8])))) {
						want = "not the CRC32 of what precedes the checksum"
					}
				case strings.HasPrefix(f.ID, "gitlab-"):
					want = tp[:len(tp)-7] + zfill(strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(tp[:len(tp)-7]))), 36), 7)
				case f.ID == "grafana-service-account-token":
					want = refGrafana(tail[:32])
				case f.ID == "github-fine-grained-pat":
					if want = tp; !refFineGrained.MatchString(tp) {
						want = "not github_pat_ + 22 + _ + 59 alphanumerics"
					}
				default:
					want = refGitHub(p, tail[:len(tail)-6])
				}
				if tp != want {
					t.Errorf("sample %s differs from the reference token", f.Redact(NewSecret(tp), p))
				}
			})
		}
	}
}

// TestPublishedVectors checks the vendors' own published test vectors.
func TestPublishedVectors(t *testing.T) {
	t.Parallel()
	// Djblets' VendorChecksumTokenGenerator tests use the token type "test":
	// 255 characters in all, so a 244-character body after "test_".
	const djblets = "test_kEz3qSWeN25rOVA8RXitY0ywaiAOuey7WRHFeTDaqqR9g827qwuYFy5" +
		"p3NKwLThndO33aVL5pBcU5da9pNnTYtiIsC4f9uLMAP8rQKZa82W91ZArtV4" +
		"WJSDpV07VTszJq6dvzmnbvcTDQvv0crBS2XDntwx5lI4xbtpMR6mquknRneV" +
		"OJxf682I208BGhs8PdGRtv2unF176tCoC3ccI8VFx31Hdb2mgQKPyPCYEtXN" +
		"32N7RUsAX1"
	rb := reviewBoardFormat()
	rb.ID, rb.Prefixes, rb.TruePositives, rb.FalsePositives = "djblets-test", []string{"test_"}, nil, nil
	rb.BodyMin, rb.BodyMax = 244, 244
	if err := rb.Compile(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		f     *Format
		token string
		valid bool
	}{
		{"djblets valid", &rb, djblets + "BjxMy", true},
		{"djblets bad checksum", &rb, djblets + "BjxMb", false},
		{"djblets bad character", &rb, strings.Replace(djblets, "k", "$", 1) + "BjxMy", false},
		// Djblets 3.0's swapped-case checksum: a documented miss.
		{"djblets 3.0 swapcase", &rb, djblets + "bJXmY", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.f.Valid(tt.token); got != tt.valid {
				t.Errorf("Valid = %v, want %v", got, tt.valid)
			}
		})
	}
}

// refBech32Polymod, refBech32Encode and refConvertBits are ports of
// BIP-173's reference code as vendored by age (FiloSottile/age
// internal/bech32/bech32.go: polymod, hrpExpand, createChecksum,
// convertBits, Encode).
func refBech32Polymod(values []byte) uint32 {
	gen := []uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if top>>i&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

func refConvertBits(data []byte, from, to uint, pad bool) ([]byte, bool) {
	var out []byte
	acc, bits, maxv := uint32(0), uint(0), uint32(1)<<to-1
	for _, v := range data {
		if uint32(v)>>from != 0 {
			return nil, false
		}
		acc = acc<<from | uint32(v)
		bits += from
		for bits >= to {
			bits -= to
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(to-bits)&maxv))
		}
	} else if bits >= from || acc<<(to-bits)&maxv != 0 {
		return nil, false
	}
	return out, true
}

// refBech32Encode is age's bech32.Encode followed by strings.ToUpper when
// the HRP is upper-case (X25519Identity.String does exactly that).
func refBech32Encode(hrp string, data []byte) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	values, _ := refConvertBits(data, 8, 5, true)
	lo := strings.ToLower(hrp)
	var exp []byte
	for _, c := range []byte(lo) {
		exp = append(exp, c>>5)
	}
	exp = append(exp, 0)
	for _, c := range []byte(lo) {
		exp = append(exp, c&31)
	}
	mod := refBech32Polymod(append(append(exp, values...), 0, 0, 0, 0, 0, 0)) ^ 1
	var b strings.Builder
	b.WriteString(lo + "1")
	for _, v := range values {
		b.WriteByte(charset[v])
	}
	for p := 0; p < 6; p++ {
		b.WriteByte(charset[mod>>(5*(5-p))&31])
	}
	if strings.ToUpper(hrp) == hrp {
		return strings.ToUpper(b.String())
	}
	return b.String()
}

// refBech32Payload turns a readable 5-bit body ("LEAKGUARDSAMPLE...") into
// the bytes it encodes, so samples are fake at a glance yet real keys.
func refBech32Payload(body string) []byte {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	var values []byte
	for _, c := range strings.ToLower(body) {
		values = append(values, byte(strings.IndexRune(charset, c)))
	}
	data, ok := refConvertBits(values, 5, 8, false)
	if !ok {
		panic("sample body has non-zero padding: " + body)
	}
	return data
}

// refBase58Check is Bitcoin Core's EncodeBase58Check (base58.cpp) with
// math/big: payload, then the first four bytes of SHA-256(SHA-256(payload)),
// as a Base58 number, one '1' per leading zero byte.
func refBase58Check(payload []byte) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	h1 := sha256.Sum256(payload)
	h2 := sha256.Sum256(h1[:])
	full := append(append([]byte(nil), payload...), h2[:4]...)
	n := new(big.Int).SetBytes(full)
	var out []byte
	mod, base := new(big.Int), big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append([]byte{alphabet[mod.Int64()]}, out...)
	}
	for _, b := range full {
		if b != 0 {
			break
		}
		out = append([]byte{'1'}, out...)
	}
	return string(out)
}

// bip32Versions are the private-key version bytes of BIP-32 and SLIP-0132
// (satoshilabs/slips slip-0132.md, Bitcoin rows) by their Base58 prefix.
var bip32Versions = map[string]uint32{
	"xprv": 0x0488ade4, "yprv": 0x049d7878, "zprv": 0x04b2430c, "Yprv": 0x0295b005, "Zprv": 0x02aa7a99,
	"tprv": 0x04358394, "uprv": 0x044a4e28, "vprv": 0x045f18bc, "Uprv": 0x024285b5, "Vprv": 0x02575048,
}

// refBIP32 serialises an extended private key per BIP-32 "Serialization
// format": version, depth, parent fingerprint, child number, chain code,
// 0x00 and the 32-byte key, then Base58Check.
func refBIP32(version uint32, depth byte, fingerprint, child uint32, chain, key []byte) string {
	p := binary.BigEndian.AppendUint32(nil, version)
	p = append(p, depth)
	p = binary.BigEndian.AppendUint32(p, fingerprint)
	p = binary.BigEndian.AppendUint32(p, child)
	p = append(p, chain...)
	p = append(p, 0)
	p = append(p, key...)
	return refBase58Check(p)
}

// refValidExtra is the reference check of the Bech32 and Base58Check
// algorithms for refValid (fuzz_test.go): decode with the ports above and
// verify, as age's bech32.Decode and Bitcoin Core's DecodeBase58Check do.
// handled is false for the CRC32 algorithms.
func refValidExtra(cs Checksum, prefix, body, sum string) (valid, handled bool) {
	switch cs.Algorithm {
	case AlgoBech32:
		s := prefix + body + sum
		if strings.ToLower(s) != s && strings.ToUpper(s) != s {
			return false, true
		}
		s = strings.ToLower(s)
		pos := strings.LastIndex(s, "1")
		var values []byte
		for _, c := range s[pos+1:] {
			d := strings.IndexRune("qpzry9x8gf2tvdw0s3jn54khce6mua7l", c)
			if d < 0 {
				return false, true
			}
			values = append(values, byte(d))
		}
		var exp []byte
		for _, c := range []byte(s[:pos]) {
			exp = append(exp, c>>5)
		}
		exp = append(exp, 0)
		for _, c := range []byte(s[:pos]) {
			exp = append(exp, c&31)
		}
		if refBech32Polymod(append(exp, values...)) != 1 {
			return false, true
		}
		_, ok := refConvertBits(values[:len(values)-6], 5, 8, false)
		return ok, true
	case AlgoBase58Check:
		const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
		s := prefix + body
		n := new(big.Int)
		for _, c := range s {
			d := strings.IndexRune(alphabet, c)
			if d < 0 {
				return false, true
			}
			n.Mul(n, big.NewInt(58)).Add(n, big.NewInt(int64(d)))
		}
		zeros := len(s) - len(strings.TrimLeft(s, "1"))
		full := append(make([]byte, zeros), n.Bytes()...)
		if len(full) < 5 {
			return false, true
		}
		return refBase58Check(full[:len(full)-4]) == s, true
	}
	return false, false
}

// TestBIP32VersionPrefixes: every registered version spells its prefix
// and gives 111 characters, whatever the key material.
func TestBIP32VersionPrefixes(t *testing.T) {
	t.Parallel()
	f, _ := fullCatalog(t).ByID("bip32-extended-private-key")
	if len(f.Prefixes) != len(bip32Versions) {
		t.Fatalf("%d prefixes, %d registered versions", len(f.Prefixes), len(bip32Versions))
	}
	for _, p := range f.Prefixes {
		for _, fill := range []byte{0x00, 0xff} {
			tok := refBIP32(bip32Versions[p], 255, 0xffffffff, 0xffffffff, bytes.Repeat([]byte{fill}, 32), bytes.Repeat([]byte{fill}, 32))
			if !strings.HasPrefix(tok, p) || len(tok) != 111 || !f.Valid(tok) {
				t.Errorf("%s with 0x%02x bytes: %s… (%d characters, valid %v)", p, fill, tok[:4], len(tok), f.Valid(tok))
			}
		}
	}
}

// TestBech32PaddingLookAlike: the nsec false positive with a set padding
// bit has a checksum the BIP-173 reference accepts, so it is rejected for
// its padding alone.
func TestBech32PaddingLookAlike(t *testing.T) {
	t.Parallel()
	f, _ := fullCatalog(t).ByID("nostr-secret-key")
	tok := f.FalsePositives[len(f.FalsePositives)-1]
	if valid, _ := refValidExtra(Checksum{Algorithm: AlgoBech32}, "nsec1", tok[5:len(tok)-6], tok[len(tok)-6:]); valid {
		t.Fatal("reference accepts the padding look-alike")
	}
	var values []byte
	for _, c := range tok[5:] {
		values = append(values, byte(strings.IndexRune("qpzry9x8gf2tvdw0s3jn54khce6mua7l", c)))
	}
	exp := []byte{3, 3, 3, 3, 0, 14, 19, 5, 3}
	if refBech32Polymod(append(exp, values...)) != 1 {
		t.Fatal("padding look-alike has a wrong checksum; it should differ only in padding")
	}
}

// refToken builds a random token of the new formats with the ports above;
// ok is false for other formats.
func refKeyToken(r *rand.Rand, id, prefix string) (string, bool) {
	key := []byte(randString(r, "\x00\x01\x7f\x80\xfeabcXYZ", 32))
	switch id {
	case "age-secret-key":
		return refBech32Encode("AGE-SECRET-KEY-", key), true
	case "nostr-secret-key":
		return refBech32Encode("nsec", key), true
	case "bip32-extended-private-key":
		chain := []byte(randString(r, "\x00\x01\x7f\x80\xfeabcXYZ", 32))
		return refBIP32(bip32Versions[prefix], byte(r.IntN(256)), r.Uint32(), r.Uint32(), chain, key), true
	}
	return "", false
}

// refKeySample re-derives a literal sample of the new formats from what it
// encodes.
func refKeySample(t *testing.T, id, tok string) (string, bool) {
	t.Helper()
	switch id {
	case "age-secret-key", "nostr-secret-key":
		pos := strings.LastIndex(tok, "1")
		hrp, body := tok[:pos], tok[pos+1:len(tok)-6]
		return refBech32Encode(hrp, refBech32Payload(body)), true
	case "bip32-extended-private-key":
		const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
		n := new(big.Int)
		for _, c := range tok {
			n.Mul(n, big.NewInt(58)).Add(n, big.NewInt(int64(strings.IndexRune(alphabet, c))))
		}
		b := n.Bytes()
		if len(b) != 82 || b[45] != 0 {
			t.Fatalf("sample does not decode to a 78-byte private key serialisation")
		}
		v := binary.BigEndian.Uint32(b)
		if bip32Versions[tok[:4]] != v {
			t.Fatalf("sample %s… has version %08x", tok[:4], v)
		}
		return refBIP32(v, b[4], binary.BigEndian.Uint32(b[5:]), binary.BigEndian.Uint32(b[9:]), b[13:45], b[46:78]), true
	}
	return "", false
}

// TestPublishedKeyVectors checks the specifications' own examples: the
// SLIP-0132 test vectors (mnemonic "abandon ... about") and NIP-19's nsec.
func TestPublishedKeyVectors(t *testing.T) {
	t.Parallel()
	c := fullCatalog(t)
	tests := []struct {
		id, token string
		valid     bool
	}{
		{"bip32-extended-private-key", "xprv9xpXFhFpqdQK3TmytPBqXtGSwS3DLjojFhTGht8gwAAii8py5X6pxeBnQ6ehJiyJ6nDjWGJfZ95WxByFXVkDxHXrqu53WCRGypk2ttuqncb", true},
		{"bip32-extended-private-key", "yprvAHwhK6RbpuS3dgCYHM5jc2ZvEKd7Bi61u9FVhYMpgMSuZS613T1xxQeKTffhrHY79hZ5PsskBjcc6C2V7DrnsMsNaGDaWev3GLRQRgV7hxF", true},
		{"bip32-extended-private-key", "zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE", true},
		{"bip32-extended-private-key", "zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnF", false},
		{"nostr-secret-key", "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5", true},
		{"nostr-secret-key", "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe6", false},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.id, i), func(t *testing.T) {
			t.Parallel()
			f, _ := c.ByID(tt.id)
			if got := f.Valid(tt.token); got != tt.valid {
				t.Errorf("Valid = %v, want %v", got, tt.valid)
			}
		})
	}
	// NIP-19 gives the key's hex too: the port must re-encode it exactly.
	key, _ := hex.DecodeString("67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa")
	if got := refBech32Encode("nsec", key); got != tests[4].token {
		t.Errorf("bech32 port encodes NIP-19's key differently")
	}
}

// fullCatalog is Default, which includes OptionalFormats.
func fullCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := NewCatalog(append(OwnFormats(nil), Vendors()...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCatalogPrefixCount pins the prefix and signature counts vendors.go
// documents: 28 prefixes and 12 signatures in Default, OptionalFormats
// included.
func TestCatalogPrefixCount(t *testing.T) {
	t.Parallel()
	count := func(c *Catalog) (prefixes, signatures int) {
		for _, f := range c.Formats() {
			prefixes += len(f.Prefixes)
			if f.HasSignature() {
				signatures++
			}
		}
		return prefixes, signatures
	}
	if p, s := count(Default()); p != 28 || s != 12 {
		t.Errorf("Default has %d prefixes and %d signatures; update the counts in vendors.go", p, s)
	}
	if p, s := count(fullCatalog(t)); p != 28 || s != 12 {
		t.Errorf("Vendors with own formats has %d prefixes and %d signatures; update vendors.go", p, s)
	}
}

// TestOptionalFormats gives the optional formats what format_test.go and
// fuzz_test.go give Default's: samples identified, no allocation in
// ValidTail, agreement with the reference validator on every sample.
func TestOptionalFormats(t *testing.T) {
	c := fullCatalog(t) // not parallel: AllocsPerRun
	for _, of := range OptionalFormats() {
		f, _ := c.ByID(of.ID)
		t.Run(f.ID, func(t *testing.T) {
			for i, s := range f.TruePositives {
				if g, ok := c.Identify(s); !ok || g.ID != f.ID {
					t.Errorf("true_positives[%d]: Identify = %v, %v", i, g, ok)
				}
			}
			for _, s := range append(append([]string(nil), f.TruePositives...), f.FalsePositives...) {
				if got, want := f.Valid(s), refValid(f, s); got != want {
					t.Errorf("%s: Valid = %v, reference = %v", NewSecret(s).Redact(PrefixOf(f, s)), got, want)
				}
			}
			p, tail, _ := f.Split(f.TruePositives[0])
			b := []byte(tail)
			if n := testing.AllocsPerRun(100, func() { f.ValidTail(p, b) }); n != 0 {
				t.Errorf("ValidTail allocates %.0f times", n)
			}
		})
	}
}

// TestExtraChecksumDeclarations: Bech32 and Base58Check declarations are
// checked like the others.
func TestExtraChecksumDeclarations(t *testing.T) {
	t.Parallel()
	bech := func(mod func(*Format)) Format {
		f := Format{ID: "x", Prefixes: []string{"nsec1"}, Alphabet: bech32Charset, BodyMin: 52,
			Checksum: Checksum{Algorithm: AlgoBech32, Encoding: EncBech32, Length: 6}}
		mod(&f)
		return f
	}
	b58 := func(mod func(*Format)) Format {
		f := Format{ID: "x", Prefixes: []string{"xprv"}, Alphabet: base58Alphabet, BodyMin: 107,
			Checksum: Checksum{Algorithm: AlgoBase58Check}}
		mod(&f)
		return f
	}
	tests := []struct {
		name string
		f    Format
		ok   bool
	}{
		{"bech32 ok", bech(func(*Format) {}), true},
		{"bech32 prefix without 1", bech(func(f *Format) { f.Prefixes = []string{"nsec_"} }), false},
		{"bech32 upper prefix, lower data", bech(func(f *Format) { f.Prefixes = []string{"NSEC1"} }), false},
		{"bech32 length 7", bech(func(f *Format) { f.Checksum.Length = 7 }), false},
		{"bech32 separator", bech(func(f *Format) { f.Checksum.Separator = "q" }), false},
		{"bech32 covers body", bech(func(f *Format) { f.Checksum.Covers = CoversBody }), false},
		{"bech32 alphabet beyond charset", bech(func(f *Format) { f.Alphabet = "0-9a-z" }), false},
		{"bech32 partial byte", bech(func(f *Format) { f.BodyMin = 54 }), false},
		{"bech32 33 bytes", bech(func(f *Format) { f.BodyMin = 53 }), true},
		{"bech32 hex encoding", bech(func(f *Format) { f.Checksum.Encoding = EncHex }), false},
		{"crc32 with bech32 encoding", Format{ID: "x", Prefixes: []string{"abc_"}, Alphabet: bech32Charset, BodyMin: 5,
			Checksum: Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBech32, Length: 7}}, false},
		{"base58 ok", b58(func(*Format) {}), true},
		{"base58 length 4", b58(func(f *Format) { f.Checksum.Length = 4 }), false},
		{"base58 prefix with 0", b58(func(f *Format) { f.Prefixes = []string{"x0rv"} }), false},
		{"base58 alphabet with l", b58(func(f *Format) { f.Alphabet = "0-9A-Za-z" }), false},
		{"base58 too long", b58(func(f *Format) { f.BodyMin = 300 }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.f.Compile()
			if (err == nil) != tt.ok {
				t.Errorf("Compile = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidFormat) {
				t.Errorf("error %v is not ErrInvalidFormat", err)
			}
		})
	}
}
