package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// testCanary drives every write path with tokens whose plaintext the suite
// knows, then searches everything the store holds (via Dumper) for that
// plaintext, and for its secret part without the prefix.
func testCanary(t *testing.T, h *harness) {
	d, ok := h.s.(Dumper)
	if !ok {
		t.Skipf("%T does not implement storetest.Dumper", h.s)
	}
	canaryLifecycle(t, h)
	reported := canaryIssuerReport(t, h)
	var buf bytes.Buffer
	if err := d.Dump(h.ctx, &buf); err != nil {
		t.Fatalf("Dump: %v", err)
	}
	dump := buf.String()
	h.mu.Lock()
	secrets := append(h.secrets[:0:0], h.secrets...)
	h.mu.Unlock()
	if len(secrets) == 0 {
		t.Fatal("canary: no tokens generated")
	}
	for _, sec := range secrets {
		plain := sec.Reveal()
		if strings.Contains(dump, plain) || strings.Contains(dump, plain[4:]) {
			t.Errorf("store contents contain a plaintext token (hash %.12s)", sec.Hash())
		}
	}
	if !strings.Contains(dump, secrets[0].Hash()) {
		t.Errorf("Dump does not show the token hashes; it cannot prove anything (%d bytes)", len(dump))
	}
	if !strings.Contains(dump, reported) {
		t.Errorf("Dump does not show the issuer reports; it cannot prove anything about them")
	}
}

// canaryLifecycle exercises every writing method once.
func canaryLifecycle(t *testing.T, h *harness) {
	t.Helper()
	soon := h.create(withExpiry(after(time.Hour)), withName("canary"), withType("service"))
	h.create(withExpiry(after(-time.Hour))) // marked expired below
	if err := h.s.TouchLastUsed(h.ctx, soon.ID, after(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.RecordNotice(h.ctx, h.notice(soon, "1d")); err != nil {
		t.Fatal(err)
	}
	if err := h.s.AppendEvent(h.ctx, store.Event{TokenID: soon.ID, Kind: store.EventVerifiedInvalid,
		At: after(time.Minute), Actor: "api", Detail: "redacted lgu_…" + soon.Last4}); err != nil {
		t.Fatal(err)
	}
	req := h.revokeReq(soon, "leaked: file src/app.py:12")
	req.Hash = soon.Hash
	if _, _, err := h.s.Revoke(h.ctx, req); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.ExpireDue(h.ctx, base()); err != nil {
		t.Fatal(err)
	}
	ns := h.drainOutbox()
	if len(ns) == 0 {
		t.Fatal("canary: outbox empty")
	}
	if err := h.s.MarkFailed(h.ctx, ns[0].ID, after(time.Hour), "connection refused"); err != nil {
		t.Fatal(err)
	}
	h.newToken() // a token the store never sees: must not appear either
}

// canaryIssuerReport queues, answers, retries and settles a report of
// another issuer's token whose plaintext the suite knows, and returns the
// token's hash: the store gets the hash and where it was seen, never the
// token.
func canaryIssuerReport(t *testing.T, h *harness) string {
	t.Helper()
	_, sec := h.newToken()
	r := store.IssuerReport{Hash: sec.Hash(), Issuer: "github", FormatID: "github_pat",
		Source: "scan", Location: "src/config.py:3"}
	if _, _, err := h.s.ClaimIssuerReport(h.ctx, r, base(), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.AnswerIssuerReport(h.ctx, r.Hash, store.IssuerReportPending, "429 Too Many Requests",
		after(time.Second), after(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.s.ClaimIssuerReport(h.ctx, r, after(time.Minute), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s.AnswerIssuerReport(h.ctx, r.Hash, store.IssuerReportAccepted, "202 Accepted",
		after(2*time.Minute), time.Time{}); err != nil {
		t.Fatal(err)
	}
	return r.Hash
}
