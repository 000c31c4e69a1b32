package webhook_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/webhook"
)

// TestAPIRotate rotates with a grace: both tokens verify, the old one
// with rotate_by; the records and events link the two; a second rotation
// is a conflict. Then a rotation without grace revokes at once.
func TestAPIRotate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	old := e.issue(t, patterns.TypeService)
	oldID := tokenID(t, e, old)
	resp, body := e.api(t, "POST", "/v1/tokens/"+oldID+"/rotate", e.admin, `{"grace":"24h"}`)
	wantStatus(t, resp, body, http.StatusCreated)
	var rot webhook.CreateAnswer
	if err := json.Unmarshal(body, &rot); err != nil {
		t.Fatal(err)
	}
	if rot.Replaces != oldID || rot.RotateBy == nil || rot.ID == oldID || patterns.HashToken(rot.Token) != rot.TokenHash {
		t.Fatalf("rotate = %s", body)
	}
	if d := time.Until(*rot.RotateBy); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("rotate_by = %v, want about 24h from now", rot.RotateBy)
	}
	for _, tc := range []struct {
		name, token string
		rotateBy    bool
	}{{"old", old.Reveal(), true}, {"successor", rot.Token, false}} {
		resp, body = e.api(t, "POST", "/v1/tokens/verify", e.admin, `{"token":"`+tc.token+`"}`)
		wantStatus(t, resp, body, http.StatusOK)
		var v webhook.VerifyAnswer
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		if !v.Valid || v.Type != patterns.TypeService || (v.RotateBy != nil) != tc.rotateBy {
			t.Errorf("verify %s = %s", tc.name, redact(string(body)))
		}
		if tc.rotateBy && !v.RotateBy.Equal(*rot.RotateBy) {
			t.Errorf("verify %s rotate_by = %v, want %v", tc.name, v.RotateBy, rot.RotateBy)
		}
	}
	for id, want := range map[string]string{oldID: `"replaced_by":"` + rot.ID + `"`, rot.ID: `"replaces":"` + oldID + `"`} {
		resp, body = e.api(t, "GET", "/v1/tokens/"+id, e.admin, "")
		wantStatus(t, resp, body, http.StatusOK)
		if !contains(body, want) {
			t.Errorf("record of %s = %s, want %s", id, body, want)
		}
	}
	resp, body = e.api(t, "GET", "/v1/tokens/"+rot.ID+"/events", e.admin, "")
	if wantStatus(t, resp, body, http.StatusOK); !contains(body, "; replaces "+oldID) {
		t.Errorf("successor events = %s", body)
	}
	resp, body = e.api(t, "GET", "/v1/tokens/"+oldID+"/events", e.admin, "")
	if wantStatus(t, resp, body, http.StatusOK); !contains(body, `"kind":"rotated"`) || !contains(body, "replaced by "+rot.ID) {
		t.Errorf("old events = %s", body)
	}
	resp, body = e.api(t, "POST", "/v1/tokens/"+oldID+"/rotate", e.admin, "")
	wantStatus(t, resp, body, http.StatusConflict)

	resp, body = e.api(t, "POST", "/v1/tokens/"+rot.ID+"/rotate", e.admin, "")
	wantStatus(t, resp, body, http.StatusCreated)
	var next webhook.CreateAnswer
	if err := json.Unmarshal(body, &next); err != nil {
		t.Fatal(err)
	}
	resp, body = e.api(t, "POST", "/v1/tokens/verify", e.admin, `{"token":"`+rot.Token+`"}`)
	wantStatus(t, resp, body, http.StatusOK)
	if !contains(body, `"valid":false`) || !contains(body, "rotated to "+next.ID) || contains(body, "rotate_by") {
		t.Errorf("verify of a token rotated without grace = %s", redact(string(body)))
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestAPIRotateRevoked: a token revoked for a leak (through the partner
// endpoint) is rotated with 201; rotate_by is its revocation time (a
// grace asked for does not apply), it stays revoked with the leak's
// reason, the successor verifies, and a second rotation is a conflict.
func TestAPIRotateRevoked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	old := e.issue(t, patterns.TypeUser)
	oldID := tokenID(t, e, old)
	resp, body := e.api(t, "POST", "/v1/tokens/leaks", e.admin, `{"token_hash":"`+old.Hash()+`","source":"file","path":"app.env","line":3}`)
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = e.api(t, "POST", "/v1/tokens/"+oldID+"/rotate", e.admin, `{"grace":"24h"}`)
	wantStatus(t, resp, body, http.StatusCreated)
	var rot webhook.CreateAnswer
	if err := json.Unmarshal(body, &rot); err != nil {
		t.Fatal(err)
	}
	if rot.Replaces != oldID || rot.RotateBy == nil || time.Since(*rot.RotateBy) < 0 {
		t.Errorf("rotate = %s; want replaces and a rotate_by in the past", redact(string(body)))
	}
	resp, body = e.api(t, "POST", "/v1/tokens/verify", e.admin, `{"token":"`+old.Reveal()+`"}`)
	if wantStatus(t, resp, body, http.StatusOK); !contains(body, `"valid":false`) || !contains(body, "leaked: file app.env:3") {
		t.Errorf("old verify = %s", redact(string(body)))
	}
	resp, body = e.api(t, "POST", "/v1/tokens/verify", e.admin, `{"token":"`+rot.Token+`"}`)
	if wantStatus(t, resp, body, http.StatusOK); !contains(body, `"valid":true`) {
		t.Errorf("successor verify = %s", redact(string(body)))
	}
	resp, body = e.api(t, "POST", "/v1/tokens/"+oldID+"/rotate", e.admin, "")
	wantStatus(t, resp, body, http.StatusConflict)
}
