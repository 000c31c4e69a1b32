package webhook_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http"
	"testing"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/webhook"
)

// BenchmarkVerifyPartnerSignature measures signature checks per second.
func BenchmarkVerifyPartnerSignature(b *testing.B) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`[{"token":"some_token","type":"some_type","url":"some_url","source":"content"}]`)
	sum := sha256.Sum256(body)
	sig, _ := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if !webhook.VerifyPartnerSignature(&priv.PublicKey, body, sig) {
			b.Fatal("does not verify")
		}
	}
}

// BenchmarkPartnerBatch1000 sends a signed batch of 1000 items (a third
// ours and active, a third unknown, a third duplicates) end to end over
// HTTP to a server on SQLite with durable commits. Each iteration issues
// fresh tokens, so every batch really revokes.
func BenchmarkPartnerBatch1000(b *testing.B) {
	t := b
	e := newEnv(t, nil)
	for b.Loop() {
		b.StopTimer()
		items := make([]map[string]any, 0, 1000)
		for i := 0; len(items) < 1000; i++ {
			ours := e.issue(t, patterns.TypeUser).Reveal()
			items = append(items, item(ours, fmt.Sprint("https://github.com/o/r/blob/1/f", i)),
				item(fmt.Sprint("unknown_", i), ""), item(ours, "dup"))
		}
		body := batch(t, items[:1000]...)
		sig := e.signer.sign(t, body)
		b.StartTimer()
		resp, out := e.post(t, body, e.signer.id, sig)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}
}
