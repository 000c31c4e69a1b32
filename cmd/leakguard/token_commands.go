package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/lifecycle"
	"github.com/leakguard/leakguard/webhook"
)

// verifyOutput is token verify's JSON answer, shaped like the API's.
type verifyOutput struct {
	webhook.VerifyAnswer
	State leakguard.State `json:"state,omitempty"` // the CLI's addition
}

func runTokenVerify(ctx context.Context, args []string, sio IO) error {
	var o tokenFlags
	fs := newFlagSet("token verify", sio.Stderr)
	o.register(fs)
	if err := parseTokenFlags(fs, args, sio); err != nil {
		return err
	}
	sec, err := readTokenInput(ctx, sio.Stdin)
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
	out := verifyOutput{VerifyAnswer: webhook.NewVerifyAnswer(v, env.mgr.Now())}
	if t := v.Token; t != nil {
		out.State = t.State(env.mgr.Now())
	}
	if err := writeVerify(sio.Stdout, o, out); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	if !v.Valid {
		return &exitError{code: exitFindings, err: errors.New(v.Message)}
	}
	return nil
}

func writeVerify(w io.Writer, o tokenFlags, out verifyOutput) error {
	if o.format == "json" {
		return json.NewEncoder(w).Encode(out)
	}
	if !out.Valid || o.quiet {
		return nil
	}
	exp := "never expires"
	if out.ExpiresAt != nil {
		exp = "expires " + out.ExpiresAt.Format(time.RFC3339)
	}
	_, err := fmt.Fprintf(w, "valid: %s (%s, owner %s, %s)\n", report.Escape(out.ID), report.Escape(out.Type), report.Escape(out.Owner), exp)
	return err
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
		sec, err := readTokenInput(ctx, sio.Stdin)
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
	if err := writeRevoke(sio.Stdout, o, t, already, env.mgr.Now()); err != nil {
		return &exitError{code: exitFail, err: err}
	}
	return nil
}

// writeRevoke writes token revoke's answer about t: JSON, or a line that
// says whether this call revoked it (the stored reason escaped).
func writeRevoke(w io.Writer, o tokenFlags, t *store.Token, already bool, now time.Time) error {
	var err error
	switch {
	case o.format == "json":
		err = json.NewEncoder(w).Encode(webhook.RevokeAnswer{ID: t.ID, Revoked: true, AlreadyRevoked: already})
	case o.quiet:
	case already:
		_, err = fmt.Fprintf(w, "already invalid: %s: %s\n", report.Escape(t.ID), report.Escape(t.InvalidMessage(now)))
	default:
		_, err = fmt.Fprintf(w, "revoked: %s\n", report.Escape(t.ID))
	}
	return err
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
	if o.format == "json" {
		err = writeRecords(sio.Stdout, ts, now)
	} else {
		err = writeTable(sio.Stdout, ts, now)
	}
	if err != nil {
		return &exitError{code: exitFail, err: fmt.Errorf("write list: %w", err)}
	}
	return nil
}

// writeRecords writes JSON Lines of token records.
func writeRecords(w io.Writer, ts []*store.Token, now time.Time) error {
	enc := json.NewEncoder(w)
	for _, t := range ts {
		if err := enc.Encode(lifecycle.NewRecord(t, now)); err != nil {
			return err
		}
	}
	return nil
}

// writeTable writes a human table of tokens. Owner and name are whatever
// the caller who issued the token sent: each cell is escaped
// (report.Escape), so that tabs, newlines and escape sequences in it cannot
// shift columns, forge rows or drive the terminal.
func writeTable(w io.Writer, ts []*store.Token, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tOWNER\tNAME\tLAST4\tSTATE\tEXPIRES\tLAST USED")
	for _, t := range ts {
		r := lifecycle.NewRecord(t, now)
		cells := []string{r.ID, r.Type, r.Owner, r.Name, r.Last4, string(r.State),
			fmtTimeOr(r.ExpiresAt, "never"), fmtTimeOr(r.LastUsedAt, "-")}
		for i, c := range cells {
			cells[i] = report.Escape(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func fmtTimeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}
