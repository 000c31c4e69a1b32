package patterns

import (
	"errors"
	"strings"
	"testing"
)

// sigFormat is a valid signature-anchored CRC32 format to edit.
func sigFormat(mod func(*Format)) Format {
	f := Format{ID: "x", Alphabet: "0-9A-Za-z", BodyMin: 20, BodyMax: 24,
		Signature: Signature{Text: "SiG", Offset: 4},
		Checksum:  Checksum{Algorithm: AlgoCRC32IEEE, Encoding: EncBase62, Length: 6}}
	mod(&f)
	return f
}

func marvinFormat(mod func(*Format)) Format {
	f := microsoftFormats()[0]
	f.TruePositives, f.FalsePositives = nil, nil
	mod(&f)
	return f
}

func TestSignatureDeclarations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    Format
		ok   bool
	}{
		{"signature ok", sigFormat(func(*Format) {}), true},
		{"from the end", sigFormat(func(f *Format) { f.Signature = Signature{Text: "SiG", Offset: 9, FromEnd: true} }), true},
		{"prefixes and a signature", sigFormat(func(f *Format) { f.Prefixes = []string{"abc_"} }), false},
		{"neither", sigFormat(func(f *Format) { f.Signature = Signature{} }), false},
		{"short text", sigFormat(func(f *Format) { f.Signature.Text = "Si" }), false},
		{"text outside the alphabet", sigFormat(func(f *Format) { f.Signature.Text = "S+G" }), false},
		{"past the body", sigFormat(func(f *Format) { f.Signature.Offset = 18 }), false},
		{"negative offset", sigFormat(func(f *Format) { f.Signature.Offset = -1 }), false},
		{"offset without text", sigFormat(func(f *Format) { f.Signature.Text = "" }), false},
		{"from the end, into the checksum", sigFormat(func(f *Format) { f.Signature = Signature{Text: "SiG", Offset: 8, FromEnd: true} }), false},
		{"from the end, before the start", sigFormat(func(f *Format) { f.Signature = Signature{Text: "SiG", Offset: 27, FromEnd: true} }), false},
		{"issued", sigFormat(func(f *Format) { f.Issued, f.TokenType = true, TypeUser }), false},
		{"bech32", sigFormat(func(f *Format) {
			f.Alphabet, f.BodyMin, f.BodyMax = bech32Charset, 52, 52
			f.Signature.Text = "qqq"
			f.Checksum = Checksum{Algorithm: AlgoBech32, Encoding: EncBech32, Length: 6}
		}), false},
		{"marvin ok", marvinFormat(func(*Format) {}), true},
		{"marvin without signature", marvinFormat(func(f *Format) { f.Signature, f.Prefixes = Signature{}, []string{"abc_"} }), false},
		{"marvin variable length", marvinFormat(func(f *Format) { f.BodyMax = 81 }), false},
		{"marvin lone character", marvinFormat(func(f *Format) { f.BodyMin, f.BodyMax = 79, 79; f.Signature.Offset = 75 }), false},
		{"marvin no seeds", marvinFormat(func(f *Format) { f.Checksum.Seeds = nil }), false},
		{"marvin short seed", marvinFormat(func(f *Format) { f.Checksum.Seeds = []string{"Default"} }), false},
		{"marvin length 8", marvinFormat(func(f *Format) { f.Checksum.Length = 8 }), false},
		{"marvin hex", marvinFormat(func(f *Format) { f.Checksum.Encoding = EncHex }), false},
		{"marvin alphabet beyond base64", marvinFormat(func(f *Format) { f.Alphabet = "0-9A-Za-z+/_" }), false},
		{"marvin covers body", marvinFormat(func(f *Format) { f.Checksum.Covers = CoversBody }), false},
		{"seeds on crc32", sigFormat(func(f *Format) { f.Checksum.Seeds = []string{"Default0"} }), false},
		{"crc32 with base64", sigFormat(func(f *Format) { f.Checksum.Encoding = EncBase64 }), false},
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

// TestSignatureFormatCRC: a configured signature format with a CRC32
// checksum validates the signature's place, from the start or the end.
func TestSignatureFormatCRC(t *testing.T) {
	t.Parallel()
	start := sigFormat(func(*Format) {})
	end := sigFormat(func(f *Format) { f.Signature = Signature{Text: "SiG", Offset: 9, FromEnd: true} })
	for _, f := range []*Format{&start, &end} {
		if err := f.Compile(); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		f     *Format
		token string
		valid bool
	}{
		{"start, shortest", &start, start.WithChecksum("", "abcdSiGefghijklmnopq"), true},
		{"start, longest", &start, start.WithChecksum("", "abcdSiGefghijklmnopqrstu"), true},
		{"start, misplaced", &start, start.WithChecksum("", "abcSiGdefghijklmnopq"), false},
		{"start, no signature", &start, start.WithChecksum("", "abcdefghijklmnopqrst"), false},
		{"end, shortest", &end, end.WithChecksum("", "abcdefghijklmnopqSiG"), true},
		{"end, longest", &end, end.WithChecksum("", "abcdefghijklmnopqrstuSiG"), true},
		{"end, misplaced", &end, end.WithChecksum("", "abcdefghijklmnopqrSiGs"), false},
	}
	for _, tt := range tests {
		if got := tt.f.Valid(tt.token); got != tt.valid {
			t.Errorf("%s: Valid = %v, want %v", tt.name, got, tt.valid)
		}
		if p, _, _ := tt.f.Split(tt.token); p != "" {
			t.Errorf("%s: Split gives prefix %q", tt.name, p)
		}
	}
	if start.ValidTail("abc_", []byte(tests[0].token)) {
		t.Error("ValidTail accepts a prefix for a signature format")
	}
}

// TestSignatureRedaction: a prefix-less key shows its public signature, not
// its first characters.
func TestSignatureRedaction(t *testing.T) {
	t.Parallel()
	c := Default()
	f, _ := c.ByID("azure-storage-account-key")
	tok := f.TruePositives[1]
	got := f.Redact(NewSecret(tok), "")
	if want := "\u2026+ASt\u2026" + tok[len(tok)-4:]; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	if strings.Contains(got, tok[:4]) {
		t.Error("the redacted form shows the key's first characters")
	}
	g, _ := c.ByID("github-pat")
	if got, want := g.Redact(NewSecret(g.TruePositives[0]), "ghp_"), "ghp_\u2026"+g.TruePositives[0][36:]; got != want {
		t.Errorf("prefix format: Redact = %q, want %q", got, want)
	}
}

// TestRedactTokensSignature: free-text redaction of prefix-less keys, with
// and without padding, after '=' or "%3D", next to each other.
func TestRedactTokensSignature(t *testing.T) {
	t.Parallel()
	c := Default()
	st, _ := c.ByID("azure-storage-account-key")
	fn, _ := c.ByID("azure-functions-key")
	k1, k2 := st.TruePositives[1], fn.TruePositives[1]
	bare := strings.TrimRight(k1, "=")
	tests := []struct{ in, want string }{
		{"AccountKey=" + k1 + ";EndpointSuffix=core", "AccountKey=" + Redacted + ";EndpointSuffix=core"},
		{"key%3D" + bare + "%26", "key%3D" + Redacted + "%26"},
		{k1 + " " + k2, Redacted + " " + Redacted},
		{"short " + bare[60:], "short " + bare[60:]},
		{"+ASt alone", "+ASt alone"},
	}
	for i, tt := range tests {
		if got := c.RedactTokens(tt.in); got != tt.want {
			t.Errorf("%d: RedactTokens gives %d bytes with %d redactions, want %d bytes with %d (plaintext not shown)",
				i, len(got), strings.Count(got, Redacted), len(tt.want), strings.Count(tt.want, Redacted))
		}
	}
}
