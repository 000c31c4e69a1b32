package revoker_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/revoker/resolvertest"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
)

// TestResolverConformance runs the Resolver suite on the local resolver
// over a real SQLite store (the remote one runs it in package webhook).
func TestResolverConformance(t *testing.T) {
	t.Parallel()
	resolvertest.Run(t, func(t *testing.T) resolvertest.Env {
		env, _ := localEnv(t)
		return env
	})
}

// TestBypassRecorderConformance runs the BypassRecorder suite on the
// local revoker over a real SQLite store (the remote one runs it in
// package webhook).
func TestBypassRecorderConformance(t *testing.T) {
	t.Parallel()
	resolvertest.RunBypass(t, func(t *testing.T) resolvertest.BypassEnv {
		env, st := localEnv(t)
		return resolvertest.BypassEnv{
			Env:      env,
			Recorder: env.Resolver.(*revoker.Revoker),
			Events:   func(t testing.TB, hash string) []resolvertest.Event { return storedEvents(t, st, hash) },
		}
	})
}

// localEnv is the suites' environment for the local revoker over a new
// SQLite store, and that store.
func localEnv(t *testing.T) (resolvertest.Env, store.Store) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cat := patterns.Default()
	mgr := lifecycle.New(st, cat, lifecycle.Options{Logger: zerolog.Nop()})
	t.Cleanup(func() { _ = mgr.Close() })
	return resolvertest.Env{
		Resolver: revoker.New(st, cat, revoker.Options{}),
		Issue: func(t testing.TB, typ string) patterns.Secret {
			iss, err := mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "o@example.org", Name: "n", Type: typ, Actor: "test", Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return iss.Secret
		},
		Reason:        func(t testing.TB, hash string) string { return storedReason(t, st, hash) },
		Notifications: func(t testing.TB) int { return outboxLen(t, st) },
	}, st
}

// storedEvents is the audit trail of the token with that hash.
func storedEvents(t testing.TB, st store.Store, hash string) []resolvertest.Event {
	t.Helper()
	ctx := context.Background()
	tok, err := st.TokenByHash(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]resolvertest.Event, len(evs))
	for i, ev := range evs {
		out[i] = resolvertest.Event{Kind: string(ev.Kind), Actor: ev.Actor, Source: ev.Source, Detail: ev.Detail}
	}
	return out
}

func storedReason(t testing.TB, st store.Store, hash string) string {
	t.Helper()
	tok, err := st.TokenByHash(context.Background(), hash)
	if err != nil {
		t.Fatal(err)
	}
	return tok.InvalidReason
}

// outboxLen counts the outbox by claiming it with a lease that is over at
// once, so the next count sees the same entries.
func outboxLen(t testing.TB, st store.Store) int {
	t.Helper()
	ns, err := st.ClaimNotifications(context.Background(), time.Now().Add(time.Hour), 1000, time.Nanosecond)
	if err != nil {
		t.Fatal(err)
	}
	return len(ns)
}

// TestBypassActorRedacted: the actor of a bypass's event names the pusher,
// who chose that name: a token in it is redacted like one in the detail.
func TestBypassActorRedacted(t *testing.T) {
	t.Parallel()
	env, st := localEnv(t)
	tok := env.Issue(t, "user")
	h := tok.Hash()
	rv := env.Resolver.(*revoker.Revoker)
	out, err := rv.RecordBypass(context.Background(), revoker.Bypass{Hash: h, Repository: "r", Ref: "refs/heads/main",
		Pusher: "mallory", Reason: "fixture", Actor: "pre-receive:" + tok.Reveal()})
	if err != nil || !out.Recorded {
		t.Fatalf("RecordBypass = %+v, %v", out, err)
	}
	evs := storedEvents(t, st, h)
	last := evs[len(evs)-1]
	if strings.Contains(last.Actor, tok.Reveal()) || !strings.HasPrefix(last.Actor, "pre-receive:") {
		t.Errorf("the actor keeps the token unredacted (%d bytes)", len(last.Actor))
	}
}
