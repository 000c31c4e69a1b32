package store_test

import (
	"errors"
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

func TestPrepareIssuerClaim(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	clock := func() time.Time { return now }
	r := store.IssuerReport{Hash: strings.Repeat("ab", 32), Issuer: "github", FormatID: "github_pat",
		Source: "scan", Location: "a.go:1", State: store.IssuerReportAccepted, Attempts: 3, Response: "x"}
	for _, tc := range []struct {
		name string
		now  time.Time
	}{{"given now", now}, {"store clock", time.Time{}}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.PrepareIssuerClaim(r, tc.now, time.Minute, clock)
			if err != nil {
				t.Fatal(err)
			}
			want := store.IssuerReport{Hash: r.Hash, Issuer: r.Issuer, FormatID: r.FormatID, Source: r.Source,
				Location: r.Location, State: store.IssuerReportPending, CreatedAt: now.UTC(), LeaseUntil: now.Add(time.Minute).UTC()}
			if got != want {
				t.Errorf("PrepareIssuerClaim = %+v, want %+v", got, want)
			}
		})
	}
	if _, err := store.PrepareIssuerClaim(r, now, 0, clock); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("zero lease: err = %v, want ErrInvalid", err)
	}
}

func TestPrepareIssuerAnswer(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	retry := at.Add(time.Hour)
	hash := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		name      string
		state     store.IssuerReportState
		retryAt   time.Time
		wantLease time.Time
		answered  bool
	}{
		{"pending waits for retryAt", store.IssuerReportPending, retry, retry, false},
		{"pending without retryAt is free at once", store.IssuerReportPending, time.Time{}, at, false},
		{"accepted is final", store.IssuerReportAccepted, retry, at, true},
		{"already invalid is final", store.IssuerReportAlreadyInvalid, time.Time{}, at, true},
		{"rejected is final", store.IssuerReportRejected, retry, at, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := store.PrepareIssuerAnswer(hash, tc.state, "resp\x00", at, tc.retryAt, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			if !a.LeaseUntil.Equal(tc.wantLease) || (a.AnsweredAt != nil) != tc.answered || !a.At.Equal(at) || a.Response != "resp" {
				t.Errorf("PrepareIssuerAnswer = %+v; want lease %v, answered %v", a, tc.wantLease, tc.answered)
			}
		})
	}
	for _, bad := range []struct {
		hash  string
		state store.IssuerReportState
	}{{hash, "done"}, {hash, ""}, {"ghp_notahash", store.IssuerReportAccepted}} {
		if _, err := store.PrepareIssuerAnswer(bad.hash, bad.state, "", at, retry, time.Now); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("PrepareIssuerAnswer(%q, %q) err = %v, want ErrInvalid", bad.hash, bad.state, err)
		}
	}
}

func TestIssuerReportLabel(t *testing.T) {
	t.Parallel()
	if got, want := store.IssuerReportLabel(strings.Repeat("ab", 32)), "issuer report abababababab"; got != want {
		t.Errorf("IssuerReportLabel = %q, want %q", got, want)
	}
	if got := store.IssuerReportLabel("ghp_secretsecretsecret"); strings.Contains(got, "ghp_") {
		t.Errorf("IssuerReportLabel quotes a malformed hash: %q", got)
	}
}
