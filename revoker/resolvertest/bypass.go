package resolvertest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
)

// Event is the comparable part of an audit event (store.Event).
type Event struct{ Kind, Actor, Source, Detail string }

// BypassEnv is one revoker.BypassRecorder under test and the store behind
// it.
type BypassEnv struct {
	Env
	// Recorder is the implementation under test; Env.Resolver must reach
	// the same store.
	Recorder revoker.BypassRecorder
	// Actor is the actor the implementation records bypasses under; empty
	// when it records the Bypass's own Actor.
	Actor string
	// Events returns the audit trail of the token with that hash, oldest
	// first.
	Events func(t testing.TB, hash string) []Event
}

// RunBypass runs the suite of revoker.BypassRecorder; newEnv gives each
// subtest a fresh store. Every implementation records the same event —
// kind leak_reported, source git, the detail revoker.BypassDetail builds —
// on a token of ours in any state, and nothing for a hash it does not
// know; none revokes or notifies.
func RunBypass(t *testing.T, newEnv func(t *testing.T) BypassEnv) {
	t.Run("ActiveStaysActive", func(t *testing.T) { bypassActive(t, newEnv(t)) })
	t.Run("RevokedIsRecorded", func(t *testing.T) { bypassRevoked(t, newEnv(t)) })
	t.Run("UnknownWritesNothing", func(t *testing.T) { bypassUnknown(t, newEnv(t)) })
	t.Run("DetailIsCleaned", func(t *testing.T) { bypassCleaned(t, newEnv(t)) })
	t.Run("MalformedHash", func(t *testing.T) { bypassMalformed(t, newEnv(t)) })
}

// fixture is the bypass of a push of a test fixture, for hash.
func fixture(hash string) revoker.Bypass {
	return revoker.Bypass{Hash: hash, Source: leakguard.SourceGit, Repository: "/srv/git/app.git",
		Ref: "refs/heads/main", Pusher: "alice", Reason: "test fixture", Actor: "pre-receive:alice"}
}

// fixtureDetail is the detail of fixture's event.
const fixtureDetail = "push bypassed by alice: test fixture (push /srv/git/app.git refs/heads/main)"

func bypassActive(t *testing.T, e BypassEnv) {
	a := e.Issue(t, patterns.TypeUser)
	before := len(e.Events(t, a.Hash()))
	got := record(t, e, fixture(a.Hash()))
	if got.Hash != leakguard.Hash(a.Hash()) || got.State != leakguard.StateActive || !got.Recorded {
		t.Errorf("outcome = %+v, want active and recorded", got)
	}
	e.wantLast(t, a.Hash(), before+1, fixtureDetail)
	outs := resolve(t, e.Env, false, revoker.Report{Secret: a, Source: "git"})
	want(t, outs, []outcome{{a.Hash(), true, leakguard.StateActive, leakguard.ActionNone}})
	if n := e.Notifications(t); n != 0 {
		t.Errorf("notifications after a bypass = %d, want 0", n)
	}
}

func bypassRevoked(t *testing.T, e BypassEnv) {
	a := e.Issue(t, patterns.TypeService)
	resolve(t, e.Env, true, revoker.Report{Secret: a, Source: "file", Path: "a.env", Line: 1})
	before, notes := len(e.Events(t, a.Hash())), e.Notifications(t)
	got := record(t, e, fixture(a.Hash()))
	if got.State != leakguard.StateRevoked || !got.Recorded {
		t.Errorf("outcome = %+v, want revoked and recorded", got)
	}
	e.wantLast(t, a.Hash(), before+1, fixtureDetail)
	if n := e.Notifications(t); n != notes {
		t.Errorf("notifications = %d after a bypass, want still %d", n, notes)
	}
	if r := e.Reason(t, a.Hash()); r != "leaked: file a.env:1" {
		t.Errorf("reason = %q, want the revocation's, unchanged", r)
	}
}

func bypassUnknown(t *testing.T, e BypassEnv) {
	never := generate(t)
	got := record(t, e, fixture(never.Hash()))
	if got.Hash != leakguard.Hash(never.Hash()) || got.State != leakguard.StateUnknown || got.Recorded {
		t.Errorf("outcome = %+v, want unknown and not recorded", got)
	}
	if n := e.Notifications(t); n != 0 {
		t.Errorf("notifications = %d, want 0", n)
	}
}

// bypassCleaned: what the pusher controls (reason, pusher, ref) reaches
// the detail without control, line-separator or bidi characters, cut to
// its bound, with any token in it redacted; an empty pusher is unknown.
func bypassCleaned(t *testing.T, e BypassEnv) {
	a := e.Issue(t, patterns.TypeUser)
	pasted := generate(t).Reveal()
	b := fixture(a.Hash())
	b.Pusher = ""
	b.Reason = "fixture \x1b[31m\u202e" + pasted[:len(pasted)/2] + "\u2028" + pasted[len(pasted)/2:] + " " + strings.Repeat("x", 600)
	b.Ref = "refs/heads/\x00main"
	record(t, e, b)
	evs := e.Events(t, a.Hash())
	d := evs[len(evs)-1].Detail
	if want := revoker.BypassDetail(patterns.Default(), b); d != want {
		t.Errorf("detail = %q, want revoker.BypassDetail's %q", d, want)
	}
	if strings.ContainsAny(d, "\x1b\u202e\u2028\x00") || strings.Contains(d, pasted) {
		t.Errorf("detail %q keeps a control character or the pasted token", d)
	}
	if !strings.HasPrefix(d, "push bypassed by unknown: fixture [31m") || !strings.HasSuffix(d, " (push /srv/git/app.git refs/heads/main)") {
		t.Errorf("detail = %q", d)
	}
	if len(d) > 3*512 {
		t.Errorf("detail is %d bytes: the reason was not cut", len(d))
	}
}

func bypassMalformed(t *testing.T, e BypassEnv) {
	_, err := e.Recorder.RecordBypass(context.Background(), fixture("lgu_not_a_hash"))
	if !errors.Is(err, revoker.ErrNoToken) {
		t.Errorf("err = %v, want revoker.ErrNoToken", err)
	}
}

// actor is the actor e records b under.
func (e BypassEnv) actor(b revoker.Bypass) string {
	if e.Actor != "" {
		return e.Actor
	}
	return b.Actor
}

// wantLast checks that the token has n events, the last being fixture's
// bypass with detail.
func (e BypassEnv) wantLast(t *testing.T, hash string, n int, detail string) {
	t.Helper()
	evs := e.Events(t, hash)
	if len(evs) != n {
		t.Fatalf("events = %d, want %d", len(evs), n)
	}
	w := Event{Kind: "leak_reported", Actor: e.actor(fixture(hash)), Source: "git", Detail: detail}
	if last := evs[n-1]; last != w {
		t.Errorf("event = %+v, want %+v", last, w)
	}
}

func record(t *testing.T, e BypassEnv, b revoker.Bypass) revoker.BypassOutcome {
	t.Helper()
	got, err := e.Recorder.RecordBypass(context.Background(), b)
	if err != nil {
		t.Fatalf("RecordBypass: %v", err)
	}
	return got
}
