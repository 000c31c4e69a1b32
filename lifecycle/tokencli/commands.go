package tokencli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/webhook"
)

// ExitError is a command's error with the exit code it ends with, when
// that is not the usual 2 (for instance 1: no such token).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Streams are a command's standard input, output and error.
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Target is the flags that name the one token a command acts on:
// --token-stdin, --id and, where the command takes it, --hash.
type Target struct {
	Stdin    bool
	ID, Hash string
	secret   patterns.Secret
}

// register adds the flags to fs; verb names the command's action.
func (t *Target) register(fs *flag.FlagSet, verb string, withHash bool) {
	fs.BoolVar(&t.Stdin, "token-stdin", false, "read the token to "+verb+" from stdin")
	fs.StringVar(&t.ID, "id", "", verb+" the token with this `id`")
	if withHash {
		fs.StringVar(&t.Hash, "hash", "", verb+" the token with this SHA-256 `hex` hash")
	}
}

// prepare checks that exactly one of the flags was given and reads the
// token from stdin for --token-stdin.
func (t *Target) prepare(ctx context.Context, stdin io.Reader, names string) error {
	n := 0
	for _, set := range []bool{t.Stdin, t.Hash != "", t.ID != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("give exactly one of %s", names)
	}
	if !t.Stdin {
		return nil
	}
	sec, err := ReadToken(ctx, stdin)
	if err != nil {
		return err
	}
	if sec.IsZero() {
		return errors.New("no token on stdin")
	}
	t.secret = sec
	return nil
}

// lookupError is the exit for a token that the store does not know.
func lookupError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &ExitError{Code: 1, Err: errors.New("no such token")}
	case errors.Is(err, lifecycle.ErrMalformed):
		return &ExitError{Code: 1, Err: errors.New("no such token: not a well-formed token of ours")}
	}
	return err
}

// Revoke is `leakguard token revoke`.
type Revoke struct {
	Target
	Reason, Actor string
	DefaultActor  string // the actor when --actor is not given
}

// Register adds revoke's flags to fs.
func (c *Revoke) Register(fs *flag.FlagSet) {
	c.Target.register(fs, "revoke", true)
	fs.StringVar(&c.Reason, "reason", "", "why it is revoked (required), e.g. \"leaked: file app.py:12\"")
	fs.StringVar(&c.Actor, "actor", "", "who revokes it (default cli:$USER)")
}

// Prepare checks the flags and reads the token from stdin, before any
// store is opened.
func (c *Revoke) Prepare(ctx context.Context, stdin io.Reader) error {
	if err := c.Target.prepare(ctx, stdin, "--token-stdin, --hash or --id"); err != nil {
		return err
	}
	if c.Reason == "" {
		return errors.New("--reason is required")
	}
	if c.Actor == "" {
		c.Actor = c.DefaultActor
	}
	return nil
}

// Run revokes the token and writes the answer (exit 1: no such token).
func (c *Revoke) Run(ctx context.Context, mgr *lifecycle.Manager, o Output, s Streams) error {
	t, already, err := mgr.Revoke(ctx, lifecycle.RevokeRequest{Secret: c.secret, Hash: c.Hash, ID: c.ID,
		Reason: c.Reason, Actor: c.Actor, Source: "cli"})
	if err != nil {
		return lookupError(err)
	}
	return WriteRevoke(s.Stdout, o, t, already, mgr.Now())
}

// Rotate is `leakguard token rotate`.
type Rotate struct {
	Target
	Grace string
	Actor string // who rotates (cli:$USER)
}

// Register adds rotate's flags to fs.
func (c *Rotate) Register(fs *flag.FlagSet) {
	c.Target.register(fs, "rotate", false)
	fs.StringVar(&c.Grace, "grace", "0", "how long the old token stays valid: `DURATION` (24h, 7d); 0 retires it at once")
}

// Prepare checks the flags and reads the token from stdin, before any
// store is opened.
func (c *Rotate) Prepare(ctx context.Context, stdin io.Reader) error {
	return c.Target.prepare(ctx, stdin, "--token-stdin or --id")
}

// Run rotates the token. The successor is printed once on stdout (text:
// the token alone; JSON: the API's answer, token included) and a note on
// stderr says until when the old one is valid (or that it was already
// revoked, and a grace asked for was ignored). Exit 1: no such token, or
// one that expired or was already rotated.
func (c *Rotate) Run(ctx context.Context, mgr *lifecycle.Manager, o Output, s Streams) error {
	rot, err := mgr.Rotate(ctx, lifecycle.RotateRequest{Secret: c.secret, ID: c.ID, Grace: c.Grace,
		Actor: c.Actor, Source: "cli"})
	if errors.Is(err, store.ErrConflict) {
		return &ExitError{Code: 1, Err: err}
	}
	if err != nil {
		return lookupError(err)
	}
	if o.JSON {
		return json.NewEncoder(s.Stdout).Encode(webhook.NewRotateAnswer(rot))
	}
	if _, err := fmt.Fprintln(s.Stdout, rot.Secret.Reveal()); err != nil {
		return fmt.Errorf("write token: %w", err)
	}
	switch old := rot.Old; {
	case o.Quiet:
	case rot.WasRevoked:
		ignored := ""
		if g, err := mgr.Policy().ParseGrace(c.Grace); err == nil && g > 0 {
			ignored = " (no grace for a revoked token: --grace ignored)"
		}
		note(s.Stderr, "rotated %s to %s (shown only once); %s was already revoked: %s%s", report.Escape(old.ID),
			report.Escape(rot.Token.ID), report.Escape(old.ID), old.InvalidReason, ignored)
	case old.Valid && old.ExpiresAt != nil:
		note(s.Stderr, "rotated %s to %s (shown only once); %s stays valid until %s", report.Escape(old.ID),
			report.Escape(rot.Token.ID), report.Escape(old.ID), old.ExpiresAt.UTC().Format(time.RFC3339))
	default:
		note(s.Stderr, "rotated %s to %s (shown only once); %s is revoked", report.Escape(old.ID),
			report.Escape(rot.Token.ID), report.Escape(old.ID))
	}
	return nil
}
