package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/lifecycle/tokencli"
	"github.com/leakguard/leakguard/store"
)

func runTokenVerify(ctx context.Context, args []string, sio IO) error {
	var o tokenFlags
	fs := newFlagSet("token verify", sio.Stderr)
	o.register(fs)
	if err := parseTokenFlags(fs, args, sio); err != nil {
		return err
	}
	sec, err := tokencli.ReadToken(ctx, sio.Stdin)
	if err != nil {
		return err
	}
	env, err := o.open(ctx, sio)
	if err != nil {
		return err
	}
	defer env.close()
	v, err := env.mgr.Verify(ctx, sec)
	if err != nil && !errors.Is(err, lifecycle.ErrMalformed) {
		return &exitError{code: exitFail, err: err}
	}
	if err := tokencli.WriteVerify(sio.Stdout, o.output(), tokencli.NewVerify(v, env.mgr.Now())); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	if !v.Valid {
		return &exitError{code: exitFindings, err: errors.New(v.Message)}
	}
	return nil
}

func runTokenRevoke(ctx context.Context, args []string, sio IO) error {
	var o tokenFlags
	var req lifecycle.RevokeRequest
	var fromStdin bool
	fs := newFlagSet("token revoke", sio.Stderr)
	o.register(fs)
	fs.BoolVar(&fromStdin, "token-stdin", false, "read the token to revoke from stdin")
	fs.StringVar(&req.Hash, "hash", "", "revoke the token with this SHA-256 `hex` hash")
	fs.StringVar(&req.ID, "id", "", "revoke the token with this `id`")
	fs.StringVar(&req.Reason, "reason", "", "why it is revoked (required), e.g. \"leaked: file app.py:12\"")
	fs.StringVar(&req.Actor, "actor", "", "who revokes it (default cli:$USER)")
	if err := parseTokenFlags(fs, args, sio); err != nil {
		return err
	}
	if n := countTrue(fromStdin, req.Hash != "", req.ID != ""); n != 1 {
		return usageError("give exactly one of --token-stdin, --hash or --id")
	}
	if req.Reason == "" {
		return usageError("--reason is required")
	}
	if req.Actor == "" {
		req.Actor = defaultActor(sio)
	}
	req.Source = "cli"
	if fromStdin {
		sec, err := tokencli.ReadToken(ctx, sio.Stdin)
		if err != nil {
			return err
		}
		if sec.IsZero() {
			return usageError("no token on stdin")
		}
		req.Secret = sec
	}
	env, err := o.open(ctx, sio)
	if err != nil {
		return err
	}
	defer env.close()
	return revoke(ctx, env, o, req, sio)
}

func revoke(ctx context.Context, env *tokenEnv, o tokenFlags, req lifecycle.RevokeRequest, sio IO) error {
	t, already, err := env.mgr.Revoke(ctx, req)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &exitError{code: exitFindings, err: errors.New("no such token")}
	case errors.Is(err, lifecycle.ErrMalformed):
		return &exitError{code: exitFindings, err: errors.New("no such token: not a well-formed token of ours")}
	case err != nil:
		return &exitError{code: exitFail, err: err}
	}
	if err := tokencli.WriteRevoke(sio.Stdout, o.output(), t, already, env.mgr.Now()); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func runTokenList(ctx context.Context, args []string, sio IO) error {
	var o tokenFlags
	var f store.ListFilter
	var state string
	fs := newFlagSet("token list", sio.Stderr)
	o.register(fs)
	fs.StringVar(&f.Owner, "owner", "", "only tokens of this owner")
	fs.StringVar(&f.Scope, "scope", "", "only tokens that have this `SCOPE`")
	fs.StringVar(&state, "state", "", "only tokens in this `state`: active, revoked or expired")
	if err := parseTokenFlags(fs, args, sio); err != nil {
		return err
	}
	switch f.State = leakguard.State(state); f.State {
	case "", leakguard.StateActive, leakguard.StateRevoked, leakguard.StateExpired:
	default:
		return usageError("--state must be active, revoked or expired, not %q", state)
	}
	env, err := o.open(ctx, sio)
	if err != nil {
		return err
	}
	defer env.close()
	now := env.mgr.Now()
	f.Now = now
	ts, err := env.mgr.List(ctx, f)
	if err != nil {
		return &exitError{code: exitFail, err: err}
	}
	if err := tokencli.WriteList(sio.Stdout, o.output(), ts, now); err != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("write list: %w", err)}
	}
	return nil
}
