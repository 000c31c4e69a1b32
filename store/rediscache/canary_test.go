package rediscache

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// TestCanaryNoSecretsInRedis runs a token lifecycle through the cache and
// then reads every key and value under the prefix: keys are hashes and ids,
// values are exactly the documented JSON shapes, and no plaintext token
// (the canaries, which the store never receives) appears anywhere.
func TestCanaryNoSecretsInRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, rdb, prefix := newSharedCache(t, newTestDB(t), nil)
	canaries := lifecycle(t, c)

	ks := scanKeys(ctx, t, rdb, prefix)
	if len(ks) < 6 {
		t.Fatalf("only %d keys; the lifecycle should have cached more", len(ks))
	}
	hashKey := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `tok:h:[0-9a-f]{64}$`)
	idKey := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `tok:i:tok_[0-9a-f]{32}$`)
	for _, k := range ks {
		if k == prefix+"near:members" { // the near caches' membership: times by process id
			checkMembers(t, rdb, k)
			continue
		}
		v, err := rdb.Get(ctx, k).Bytes()
		if err != nil {
			t.Fatalf("get %s: %v", k, err)
		}
		for _, s := range canaries {
			if strings.Contains(k, s.Reveal()) || bytes.Contains(v, []byte(s.Reveal())) {
				t.Fatalf("plaintext canary found under key %s", k)
			}
		}
		switch {
		case hashKey.MatchString(k):
			checkEntryShape(t, k, v)
		case idKey.MatchString(k):
			if !leakguard.ValidHash(string(v)) {
				t.Errorf("pointer %s holds %q, want a hash", k, v)
			}
		default:
			t.Errorf("unexpected key %s", k)
		}
	}
}

// lifecycle issues, looks up, touches, revokes and expires tokens through
// c and returns their plaintexts (which only the test ever held).
func lifecycle(t *testing.T, c *Cache) []patterns.Secret {
	t.Helper()
	ctx := context.Background()
	var secrets []patterns.Secret
	var toks []*store.Token
	for range 3 {
		tok, sec := newToken(t)
		secrets, toks = append(secrets, sec), append(toks, tok)
		if err := c.CreateToken(ctx, tok, store.Event{Kind: store.EventIssued, At: tok.CreatedAt}); err != nil {
			t.Fatal(err)
		}
		warm(t, c, tok)
	}
	if err := c.TouchLastUsed(ctx, toks[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	revoke(t, c, toks[1])
	tok, sec := newToken(t)
	past := time.Now().Add(-time.Minute)
	tok.ExpiresAt = &past
	secrets = append(secrets, sec)
	if err := c.CreateToken(ctx, tok, store.Event{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExpireDue(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, _ = c.TokenByHash(ctx, unknownHash(t)) // a negative entry
	_, _ = c.TokenByHash(ctx, sec.Reveal())   // a plaintext by mistake: not a key
	return secrets
}

// checkEntryShape asserts v is a positive or negative entry with exactly
// the documented fields.
func checkEntryShape(t *testing.T, k string, v []byte) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(v, &top); err != nil {
		t.Fatalf("%s: not JSON: %v", k, err)
	}
	wantTop := "found,v"
	if _, ok := top["token"]; ok {
		wantTop = "found,token,v"
		var tok map[string]any
		if err := json.Unmarshal(top["token"], &tok); err != nil {
			t.Fatalf("%s: token: %v", k, err)
		}
		const want = "created_at,expires_at,format_id,hash,id,invalid_at,invalid_reason,last4,last_used_at,name,owner,replaced_by,replaces,revoked_by,scopes,type,valid"
		if got := sortedKeys(tok); got != want {
			t.Errorf("%s: token fields %s, want %s", k, got, want)
		}
		if !strings.HasSuffix(k, ":"+tok["hash"].(string)) {
			t.Errorf("%s: entry for another hash", k)
		}
	}
	if got := sortedKeys(top); got != wantTop {
		t.Errorf("%s: fields %s, want %s", k, got, wantTop)
	}
	if _, _, err := decodeEntry(v, k[strings.LastIndex(k, ":")+1:]); err != nil {
		t.Errorf("%s: %v", k, err)
	}
}

func sortedKeys[V any](m map[string]V) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// checkMembers asserts the members hash holds "born" and process ids, each
// with a time in milliseconds.
func checkMembers(t *testing.T, rdb *redis.Client, k string) {
	t.Helper()
	m, err := rdb.HGetAll(context.Background(), k).Result()
	if err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	for f, v := range m {
		if _, err := strconv.ParseInt(v, 10, 64); err != nil || (f != "born" && !isID(f)) {
			t.Errorf("%s: field %q = %q, want born or a process id, with a time", k, f, v)
		}
	}
}
