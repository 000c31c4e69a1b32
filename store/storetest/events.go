package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

func testEventsOrder(t *testing.T, h *harness) {
	tok := h.create()
	appendEv := func(kind store.EventKind, at time.Time, detail string) {
		t.Helper()
		ev := store.Event{TokenID: tok.ID, Kind: kind, At: at, Actor: "verifier", Source: "api", Detail: detail}
		if err := h.s.AppendEvent(h.ctx, ev); err != nil {
			t.Fatalf("AppendEvent: %v", err)
		}
	}
	appendEv(store.EventVerifiedInvalid, after(3*time.Second), "c")
	appendEv(store.EventVerifiedInvalid, after(time.Second), "a")
	appendEv(store.EventVerifiedInvalid, after(time.Second), "b")
	appendEv(store.EventLeakReported, after(2*time.Second+time.Microsecond), "bb")
	evs := h.events(tok.ID)
	var got []string
	for _, e := range evs {
		got = append(got, string(e.Kind)+":"+e.Detail)
		if e.TokenID != tok.ID || (e.Kind != store.EventIssued && (e.Actor != "verifier" || e.Source != "api")) {
			t.Errorf("event fields lost: %+v", e)
		}
	}
	want := []string{"issued:", "verified_invalid:a", "verified_invalid:b", "leak_reported:bb", "verified_invalid:c"}
	if g, w := fmt.Sprint(got), fmt.Sprint(want); g != w {
		t.Errorf("events = %s, want %s (oldest first, ties in insertion order)", g, w)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].At.Before(evs[i-1].At) {
			t.Errorf("event %d at %v before event %d at %v", i, evs[i].At, i-1, evs[i-1].At)
		}
	}
}

func testEventsErrors(t *testing.T, h *harness) {
	tok := h.create()
	if _, err := h.s.Events(h.ctx, "tok_unknown"); !isErr(err, store.ErrNotFound) {
		t.Errorf("Events(unknown) err = %v, want ErrNotFound", err)
	}
	cases := []struct {
		ev   store.Event
		want error
	}{
		{store.Event{TokenID: "tok_unknown", Kind: store.EventVerifiedInvalid, At: base()}, store.ErrNotFound},
		{store.Event{TokenID: tok.ID, At: base()}, store.ErrInvalid},
		{store.Event{Kind: store.EventVerifiedInvalid, At: base()}, store.ErrInvalid},
	}
	for _, c := range cases {
		if err := h.s.AppendEvent(h.ctx, c.ev); !isErr(err, c.want) {
			t.Errorf("AppendEvent(%+v) err = %v, want %v", c.ev, err, c.want)
		}
	}
	if err := h.s.AppendEvent(h.ctx, store.Event{TokenID: tok.ID, Kind: store.EventVerifiedInvalid}); err != nil {
		t.Fatalf("AppendEvent with zero At: %v", err)
	}
	evs := kinds(h.events(tok.ID), store.EventVerifiedInvalid)
	if len(evs) != 1 || evs[0].At.IsZero() {
		t.Errorf("events = %+v, want one with the store's time", evs)
	}
}
