package revoker_test

import (
	"context"
	"path/filepath"
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
		}
	})
}

// TestBypassRecorderConformance runs the BypassRecorder suite on the
// local revoker over a real SQLite store (the remote one runs it in
// package webhook).
func TestBypassRecorderConformance(t *testing.T) {
	t.Parallel()
	resolvertest.RunBypass(t, func(t *testing.T) resolvertest.BypassEnv {
		ctx := context.Background()
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		cat := patterns.Default()
		mgr := lifecycle.New(st, cat, lifecycle.Options{Logger: zerolog.Nop()})
		t.Cleanup(func() { _ = mgr.Close() })
		rv := revoker.New(st, cat, revoker.Options{})
		return resolvertest.BypassEnv{
			Env: resolvertest.Env{
				Resolver: rv,
				Issue: func(t testing.TB, typ string) patterns.Secret {
					iss, err := mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "o@example.org", Name: "n", Type: typ, Actor: "test", Source: "test"})
					if err != nil {
						t.Fatal(err)
					}
					return iss.Secret
				},
				Reason:        func(t testing.TB, hash string) string { return storedReason(t, st, hash) },
				Notifications: func(t testing.TB) int { return outboxLen(t, st) },
			},
			Recorder: rv,
			Events:   func(t testing.TB, hash string) []resolvertest.Event { return storedEvents(t, st, hash) },
		}
	})
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
