package github_test

import (
	"testing"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/github/partnertest"
)

func TestParsePayload(t *testing.T) {
	t.Parallel()
	items, bad, err := github.ParsePayload([]byte(`[{"token":"a","type":"t","url":"u","source":"s","extra":1},{"token":1}]`), 10)
	if err != nil || len(items) != 1 || bad != 1 {
		t.Fatalf("items %d bad %d err %v", len(items), bad, err)
	}
	if got := items[0]; got.Token.Reveal() != "a" || got.Type != "t" || got.URL != "u" || got.Source != "s" {
		t.Errorf("item = %+v", got)
	}
}

func FuzzParsePayload(f *testing.F) {
	for _, s := range []string{`[]`, `[{"token":"a"}]`, `[1,{"token":"x","type":"y","url":"z"}]`, `{}`, `[`, `null`,
		`[{"token":"lgu_abc","url":"https://github.com/a"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, bad, err := github.ParsePayload(body, 50)
		if err != nil {
			if items != nil {
				t.Fatal("items with error")
			}
			return
		}
		if len(items)+bad > 50 {
			t.Fatalf("%d items + %d bad over the cap", len(items), bad)
		}
		for _, it := range items {
			if it.Token.IsZero() {
				t.Fatal("item without token")
			}
		}
	})
}

func FuzzDecodePartnerSignature(f *testing.F) {
	f.Add("MEUCIFLZzeK++IhS+y276SRk2Pe5LfDrfvTXu6iwKKcFGCrvAiEAhHN2kDOhy2I6eGkOFmxNkOJ+L2y8oQ9A2T9GGJo6WJY=")
	f.Add("MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc=")
	f.Add("")
	f.Add("MAYCAQECAQE=") // SEQUENCE { 1, 1 }
	f.Add("MAYCAQACAQE=") // R = 0
	f.Fuzz(func(t *testing.T, h string) {
		der, err := github.DecodePartnerSignature(h)
		if err == nil && len(der) == 0 {
			t.Fatal("empty signature accepted")
		}
	})
}

// BenchmarkVerifyPartnerSignature measures signature checks per second.
func BenchmarkVerifyPartnerSignature(b *testing.B) {
	key := partnertest.NewKey(b, "bench")
	body := []byte(`[{"token":"some_token","type":"some_type","url":"some_url","source":"content"}]`)
	sig, err := github.DecodePartnerSignature(key.Sign(b, body))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if !github.VerifyPartnerSignature(&key.Priv.PublicKey, body, sig) {
			b.Fatal("does not verify")
		}
	}
}
