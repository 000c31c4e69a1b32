package store_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leakguard/leakguard/store"
)

func TestRevokeRequestLabel(t *testing.T) {
	t.Parallel()
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		req  store.RevokeRequest
		want string
	}{
		{"id wins", store.RevokeRequest{ID: "tok_1", Hash: hash}, "tok_1"},
		{"hash shortened", store.RevokeRequest{Hash: hash}, "hash " + hash[:12]},
		{"short hash", store.RevokeRequest{Hash: "abc"}, "hash abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.req.Label(); got != tc.want {
				t.Errorf("Label() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRevokeRequestPrepare(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	req := store.RevokeRequest{Hash: strings.Repeat("ab", 32), Reason: "leaked", Actor: "bob", Source: "cli"}
	if err := req.Prepare(func() time.Time { return now }); err != nil {
		t.Fatal(err)
	}
	if !req.At.Equal(now) || req.Kind != store.EventRevoked {
		t.Errorf("defaults: At %v Kind %q", req.At, req.Kind)
	}
	want := store.Event{TokenID: "tok_1", Kind: store.EventRevoked, At: now, Actor: "bob", Source: "cli", Detail: "leaked"}
	if got := req.Event("tok_1"); got != want {
		t.Errorf("Event = %+v, want %+v", got, want)
	}
	bad := store.RevokeRequest{}
	if err := bad.Prepare(time.Now); err == nil {
		t.Error("Prepare accepted a request naming no token")
	}
}

func TestNotificationSchedule(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	later := at.Add(time.Hour)
	for _, tc := range []struct {
		name                string
		created, next       time.Time
		wantCreated, wantNx time.Time
	}{
		{"defaults", time.Time{}, time.Time{}, at, at},
		{"next from created", later, time.Time{}, later, later},
		{"both given", at, later, at, later},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := store.Notification{ID: "ntf_1", Type: store.NotifyRevoked, Payload: []byte("{}"),
				CreatedAt: tc.created, NextAttemptAt: tc.next}
			c, nx, err := n.Schedule(at)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Equal(tc.wantCreated) || !nx.Equal(tc.wantNx) {
				t.Errorf("Schedule = %v, %v; want %v, %v", c, nx, tc.wantCreated, tc.wantNx)
			}
		})
	}
}

func TestTruncateError(t *testing.T) {
	t.Parallel()
	if got := store.TruncateError("short"); got != "short" {
		t.Errorf("short message changed: %q", got)
	}
	long := strings.Repeat("é", store.MaxErrorLen) // 2 bytes each: the cut falls mid-rune or on one
	got := store.TruncateError("x" + long)
	if len(got) > store.MaxErrorLen || !utf8.ValidString(got) {
		t.Errorf("TruncateError: %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
}

// TestTruncateErrorKeepsWhatEveryStoreStores: PostgreSQL refuses NUL and
// invalid UTF-8, so a receiver's error text must lose both.
func TestTruncateErrorKeepsWhatEveryStoreStores(t *testing.T) {
	t.Parallel()
	got := store.TruncateError("bad\x00answer \xff\xfe from receiver")
	if strings.ContainsRune(got, 0) || !utf8.ValidString(got) {
		t.Fatalf("TruncateError = %q", got)
	}
}
