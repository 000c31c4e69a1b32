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
	return runTokenCmd(ctx, "token revoke", args, sio, &tokencli.Revoke{DefaultActor: defaultActor(sio)})
}

func runTokenRotate(ctx context.Context, args []string, sio IO) error {
	return runTokenCmd(ctx, "token rotate", args, sio, &tokencli.Rotate{Actor: defaultActor(sio)})
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
