package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// TestNewRevokedNotification: a leak revocation tells the owner how to
// rotate the token (command and route, by id); an explicit revocation,
// and a leak of a token that already has a successor, do not.
func TestNewRevokedNotification(t *testing.T) {
	t.Parallel()
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		name     string
		kind     store.EventKind
		replaced string
		want     *store.RotateHint
	}{
		{"leak", store.EventLeakReported, "", &store.RotateHint{
			Command: "leakguard token rotate --id tok_1", Route: "POST /v1/tokens/tok_1/rotate"}},
		{"explicit revocation", store.EventRevoked, "", nil},
		{"default kind", "", "", nil},
		{"leak of a token already rotated", store.EventLeakReported, "tok_2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := &store.Token{ID: "tok_1", Owner: "alice", Name: "ci", Type: "user", Last4: "abcd", ReplacedBy: tt.replaced}
			n, err := store.NewRevokedNotification(tok, store.RevokeRequest{Reason: "leaked: file a:1", Source: "file",
				Kind: tt.kind, At: at})
			if err != nil {
				t.Fatal(err)
			}
			var p store.EventPayload
			if err := json.Unmarshal(n.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Type != store.NotifyRevoked || n.Type != store.NotifyRevoked || p.Token.ID != "tok_1" ||
				p.Reason != "leaked: file a:1" || p.Source != "file" || !p.At.Equal(at) {
				t.Errorf("payload = %+v", p)
			}
			switch {
			case tt.want == nil && p.Rotate != nil:
				t.Errorf("rotate = %+v, want none", p.Rotate)
			case tt.want != nil && (p.Rotate == nil || *p.Rotate != *tt.want):
				t.Errorf("rotate = %+v, want %+v", p.Rotate, tt.want)
			}
		})
	}
}
