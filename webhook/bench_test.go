package webhook_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/leakguard/leakguard/patterns"
)

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
		sig := e.signer.Sign(t, body)
		b.StartTimer()
		resp, out := e.post(t, body, e.signer.ID, sig)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}
}
