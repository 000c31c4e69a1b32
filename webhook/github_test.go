package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/webhook"
)

// docsExample is one of GitHub's published examples (testdata/github-docs).
type docsExample struct {
	keyID, key, sig string
	payload         []byte
}

func loadExample(t *testing.T, name string) docsExample {
	t.Helper()
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "github-docs", name+"-"+f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return docsExample{keyID: strings.TrimSpace(string(read("key-id.txt"))), key: string(read("key.pem")),
		sig: strings.TrimSpace(string(read("signature.txt"))), payload: read("payload.json")}
}

func TestGitHubPublishedExamples(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	cur, old := loadExample(t, "current"), loadExample(t, "legacy")
	e.keys.add(cur.keyID, cur.key)
	e.keys.add(old.keyID, old.key)
	tests := []struct {
		name         string
		keyID, sig   string
		body         []byte
		status       int
		wantFeedback bool
	}{
		{"current example verifies", cur.keyID, cur.sig, cur.payload, http.StatusOK, true},
		{"legacy example verifies", old.keyID, old.sig, old.payload, http.StatusOK, true},
		{"tampered body", cur.keyID, cur.sig, bytes.Replace(cur.payload, []byte("some_url"), []byte("some_urL"), 1), http.StatusUnauthorized, false},
		{"trailing newline is tampering", cur.keyID, cur.sig, append(append([]byte{}, cur.payload...), '\n'), http.StatusUnauthorized, false},
		{"swapped signatures", cur.keyID, old.sig, cur.payload, http.StatusUnauthorized, false},
		{"signature under the other key", old.keyID, cur.sig, cur.payload, http.StatusUnauthorized, false},
		{"unknown key id", "0000000000000000000000000000000000000000000000000000000000000000", cur.sig, cur.payload, http.StatusUnauthorized, false},
		{"missing signature", cur.keyID, "", cur.payload, http.StatusUnauthorized, false},
		{"missing key id", "", cur.sig, cur.payload, http.StatusUnauthorized, false},
		{"signature not base64", cur.keyID, "!!!", cur.payload, http.StatusUnauthorized, false},
	}
	for _, tc := range tests {
		before := e.st.calls.Load()
		resp, body := e.post(t, tc.body, tc.keyID, tc.sig)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, resp.StatusCode, tc.status, body)
			continue
		}
		if !tc.wantFeedback {
			if got := e.st.calls.Load() - before; got != 0 {
				t.Errorf("%s: %d store calls, want 0", tc.name, got)
			}
			if code := errorCode(t, body); code != "bad_signature" {
				t.Errorf("%s: code %s", tc.name, code)
			}
			continue
		}
		var fb []github.Feedback
		if err := json.Unmarshal(body, &fb); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := []github.Feedback{{TokenHash: patterns.HashToken("some_token"), TokenType: "some_type", Label: "false_positive"}}
		if fmt.Sprint(fb) != fmt.Sprint(want) {
			t.Errorf("%s: feedback %+v, want %+v", tc.name, fb, want)
		}
	}
}

func TestUnknownKeyRefetchesAtMostOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	body := batch(t, item("x", ""))
	// The first request fetches; a second key added later is unknown until
	// the refetch interval passes.
	resp, out := e.postSigned(t, body)
	wantStatus(t, resp, out, http.StatusOK)
	late := newSigner(t, e.keys, "late-key")
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, b := e.post(t, body, late.ID, late.Sign(t, body))
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("late key: status %d (%s)", resp.StatusCode, b)
			}
		}()
	}
	wg.Wait()
	if got := e.keys.hits.Load(); got != 1 {
		t.Errorf("key fetches = %d, want 1 (refetch limited to once a minute)", got)
	}
}

func TestConcurrentFirstFetchIsSingle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.keys.delay = 50e6 // 50ms: requests pile up behind one fetch
	body := batch(t, item("x", ""))
	sig := e.signer.Sign(t, body)
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, b := e.post(t, body, e.signer.ID, sig)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d (%s)", resp.StatusCode, b)
			}
		}()
	}
	wg.Wait()
	if got := e.keys.hits.Load(); got != 1 {
		t.Errorf("key fetches = %d, want 1", got)
	}
}

func TestKeysUnavailableFailsClosed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.keys.fail.Store(true)
	before := e.st.calls.Load()
	resp, body := e.postSigned(t, batch(t, item(e.issue(t, patterns.TypeUser).Reveal(), "")))
	wantStatus(t, resp, body, http.StatusServiceUnavailable)
	if got := e.st.calls.Load() - before; got != 1 { // the issue above
		t.Errorf("store calls = %d, want only the issue", got)
	}
}

func TestFullFlowRevokesOurToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ours := e.issue(t, patterns.TypeUser)
	ghp, _ := patterns.Default().ByID("github-pat")
	vendor := ghp.WithChecksum("ghp_", strings.Repeat("Q", 30))
	url := "https://github.com/octo/repo/blob/abc123/config.yml"
	body := batch(t, item(ours.Reveal(), url), item(vendor, url), map[string]any{"token": 5},
		item(ours.Reveal(), url+"#dup"), item("lgu_lookalike", ""))
	resp, out := e.postSigned(t, body)
	wantStatus(t, resp, out, http.StatusOK)
	var fb []github.Feedback
	if err := json.Unmarshal(out, &fb); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, f := range fb {
		labels[f.TokenHash] = f.Label
	}
	if len(fb) != 3 || labels[ours.Hash()] != "true_positive" || labels[patterns.HashToken(vendor)] != "false_positive" {
		t.Fatalf("feedback = %s", out)
	}
	if bytes.Contains(out, []byte(ours.Reveal())) {
		t.Fatal("response contains the plaintext token")
	}
	resp, out = e.api(t, "POST", "/v1/tokens/verify", e.admin, `{"token":"`+ours.Reveal()+`"}`)
	wantStatus(t, resp, out, http.StatusOK)
	var v struct {
		Valid         bool
		ID            string
		Message       string
		InvalidReason string `json:"invalid_reason"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	wantReason := "leaked: github-webhook " + url
	if v.Valid || v.InvalidReason != wantReason || !strings.HasSuffix(v.Message, ": "+wantReason) {
		t.Fatalf("verify after leak = %s", out)
	}
	resp, out = e.api(t, "GET", "/v1/tokens/"+v.ID+"/events", e.admin, "")
	wantStatus(t, resp, out, http.StatusOK)
	if !bytes.Contains(out, []byte(`"kind":"leak_reported"`)) || !bytes.Contains(out, []byte(wantReason)) {
		t.Fatalf("events = %s", out)
	}
	ns := e.outbox(t)
	if len(ns) != 1 || ns[0].Type != store.NotifyRevoked || !bytes.Contains(ns[0].Payload, []byte(wantReason)) {
		t.Fatalf("outbox = %+v", ns)
	}
}

func TestReplayedBatchRevokesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a, b := e.issue(t, patterns.TypeUser), e.issue(t, patterns.TypeService)
	body := batch(t, item(a.Reveal(), "https://github.com/o/r/blob/1/a"), item(b.Reveal(), "https://github.com/o/r/blob/1/b"))
	sig := e.signer.Sign(t, body)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, out := e.post(t, body, e.signer.ID, sig)
			if resp.StatusCode != http.StatusOK || bytes.Count(out, []byte("true_positive")) != 2 {
				t.Errorf("status %d: %s", resp.StatusCode, out)
			}
		}()
	}
	wg.Wait()
	if ns := e.outbox(t); len(ns) != 2 {
		t.Fatalf("notifications = %d, want 2 (one per token)", len(ns))
	}
	for _, s := range []patterns.Secret{a, b} {
		tok, err := e.raw.TokenByHash(context.Background(), s.Hash())
		if err != nil {
			t.Fatal(err)
		}
		evs, err := e.raw.Events(context.Background(), tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Kind == store.EventLeakReported || ev.Kind == store.EventRevoked {
				n++
			}
		}
		if n != 1 {
			t.Errorf("token %s: %d revocation events, want 1", tok.ID, n)
		}
	}
}

func TestBatchLimitsAndMalformed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *webhook.Config) { c.MaxBatchBytes = 4096; c.MaxBatchItems = 10 })
	many := make([]map[string]any, 11)
	for i := range many {
		many[i] = item(fmt.Sprint("tok", i), "")
	}
	tests := []struct {
		name   string
		body   []byte
		status int
	}{
		{"oversize body", []byte("[" + strings.Repeat(`{"token":"aaaaaaaa"},`, 400) + `{"token":"a"}]`), http.StatusRequestEntityTooLarge},
		{"too many items", batch(t, many...), http.StatusRequestEntityTooLarge},
		{"not an array", []byte(`{"token":"x"}`), http.StatusBadRequest},
		{"not JSON", []byte(`[{"token":`), http.StatusBadRequest},
		{"empty array", []byte(`[]`), http.StatusOK},
		{"bad items skipped", []byte(`[1,"x",null,{"token":7},{"token":""},{"token":"ok","type":"t"}]`), http.StatusOK},
	}
	for _, tc := range tests {
		resp, out := e.postSigned(t, tc.body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, resp.StatusCode, tc.status, out)
		}
	}
	resp, out := e.postSigned(t, []byte(`[1,{"token":"ok","type":"t"}]`))
	if resp.StatusCode != http.StatusOK || bytes.Count(out, []byte("token_hash")) != 1 {
		t.Errorf("one good item: %d %s", resp.StatusCode, out)
	}
}
