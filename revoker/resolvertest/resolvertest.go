// Package resolvertest is the conformance suite of revoker.Resolver: every
// implementation (the local *revoker.Revoker over a store, the HTTP API's
// webhook.Client) runs it, so the leak step answers the same whichever
// way a source reaches the store.
package resolvertest

import (
	"context"
	"strings"
	"testing"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
)

// Env is one implementation under test and the store behind it.
type Env struct {
	// Resolver is the implementation under test.
	Resolver revoker.Resolver
	// Issue mints an active token of type typ in the store behind Resolver.
	Issue func(t testing.TB, typ string) patterns.Secret
	// Reason returns the stored invalid reason of the token with that hash.
	Reason func(t testing.TB, hash string) string
	// Notifications counts the notifications in the store's outbox.
	Notifications func(t testing.TB) int
}

// Run runs the suite; newEnv gives each subtest a fresh store.
func Run(t *testing.T, newEnv func(t *testing.T) Env) {
	t.Run("LookUpWritesNothing", func(t *testing.T) { lookUpWritesNothing(t, newEnv(t)) })
	t.Run("RevokeOncePerHash", func(t *testing.T) { revokeOncePerHash(t, newEnv(t)) })
	t.Run("OtherIssuers", func(t *testing.T) { otherIssuers(t, newEnv(t)) })
	t.Run("Empty", func(t *testing.T) { empty(t, newEnv(t)) })
}

func lookUpWritesNothing(t *testing.T, e Env) {
	a := e.Issue(t, patterns.TypeUser)
	never := generate(t)
	outs := resolve(t, e, false,
		revoker.Report{Secret: a, Source: "file", Path: "a.txt", Line: 1},
		revoker.Report{Hash: a.Hash(), Source: "file", Path: "b.txt", Line: 2},
		revoker.Report{Secret: never, Source: "git"})
	want(t, outs, []outcome{{a.Hash(), true, leakguard.StateActive, leakguard.ActionNone},
		{never.Hash(), false, leakguard.StateUnknown, leakguard.ActionNone}})
	if n := e.Notifications(t); n != 0 {
		t.Errorf("notifications after a look-up = %d, want 0", n)
	}
}

func revokeOncePerHash(t *testing.T, e Env) {
	a, b := e.Issue(t, patterns.TypeUser), e.Issue(t, patterns.TypeService)
	reps := []revoker.Report{
		{Secret: a, Source: "file", Path: "first.txt", Line: 3},
		{Secret: b, Source: "git", Path: "src/b.go", Line: 9},
		{Secret: a, Source: "file", Path: "second.txt", Line: 4},
	}
	outs := resolve(t, e, true, reps...)
	want(t, outs, []outcome{{a.Hash(), true, leakguard.StateRevoked, leakguard.ActionRevoked},
		{b.Hash(), true, leakguard.StateRevoked, leakguard.ActionRevoked}})
	if got, w := e.Reason(t, a.Hash()), "leaked: file first.txt:3"; got != w {
		t.Errorf("reason = %q, want %q (the first report's location)", got, w)
	}
	if n := e.Notifications(t); n != 2 {
		t.Errorf("notifications = %d, want 2", n)
	}
	again := resolve(t, e, true, reps...)
	want(t, again, []outcome{{a.Hash(), true, leakguard.StateRevoked, leakguard.ActionNone},
		{b.Hash(), true, leakguard.StateRevoked, leakguard.ActionNone}})
	if n := e.Notifications(t); n != 2 {
		t.Errorf("notifications after a replay = %d, want still 2", n)
	}
}

func otherIssuers(t *testing.T, e Env) {
	ghp, ok := patterns.Default().ByID("github-pat")
	if !ok {
		t.Fatal("no github-pat format")
	}
	vendor := patterns.NewSecret(ghp.WithChecksum("ghp_", strings.Repeat("a", 30)))
	outs := resolve(t, e, true,
		revoker.Report{Secret: vendor, Source: "file", Path: "x"},
		revoker.Report{Hash: patterns.HashToken("npm_x"), Rule: "npm-access-token", Source: "git", Path: "y"})
	want(t, outs, []outcome{{vendor.Hash(), false, leakguard.StateUnknown, leakguard.ActionNone},
		{patterns.HashToken("npm_x"), false, leakguard.StateUnknown, leakguard.ActionNone}})
}

func empty(t *testing.T, e Env) {
	if outs := resolve(t, e, true); len(outs) != 0 {
		t.Errorf("outcomes of no reports = %d", len(outs))
	}
}

// outcome is the comparable part of a revoker.Outcome.
type outcome struct {
	hash   string
	ours   bool
	state  leakguard.State
	action leakguard.Action
}

func resolve(t *testing.T, e Env, revoke bool, reps ...revoker.Report) []revoker.Outcome {
	t.Helper()
	outs, err := e.Resolver.Resolve(context.Background(), reps, revoke)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return outs
}

func want(t *testing.T, got []revoker.Outcome, w []outcome) {
	t.Helper()
	if len(got) != len(w) {
		t.Fatalf("outcomes = %d, want %d", len(got), len(w))
	}
	for i, o := range got {
		g := outcome{string(o.Hash), o.Ours, o.State, o.Action}
		if g != w[i] {
			t.Errorf("outcome %d = %+v, want %+v", i, g, w[i])
		}
	}
}

func generate(t testing.TB) patterns.Secret {
	f, ok := patterns.Default().Issued(patterns.TypeUser)
	if !ok {
		t.Fatal("no issued user format")
	}
	s, err := f.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
