// Package tokencli is what the token commands (`leakguard token issue`,
// `verify`, `revoke`, `rotate`, `list`) read and print: one token read
// from standard input, and the answers as text for a person or JSON for a
// program. `revoke` and `rotate` live here whole, flags and run
// (commands.go); cmd/leakguard only opens the store for them.
//
// Its invariants: a plaintext token is read here only into a
// patterns.Secret and is never printed, except a new token once: issue
// prints it itself, rotate prints the successor; every stored value a text answer quotes (ids, owners, names,
// reasons) is escaped with report.Escape, so that control, bidi and
// invisible characters cannot drive the terminal, shift columns or forge
// rows; JSON answers keep the values as they are and are shaped like the
// HTTP API's (webhook.VerifyAnswer, webhook.RevokeAnswer, lifecycle.Record).
package tokencli

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
	"github.com/leakguard/leakguard/internal/interrupt"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/webhook"
)

// MaxInput bounds what ReadToken reads: anything longer is not a token of
// ours.
const MaxInput = 4096

// ErrNoInput is ReadToken's error when there is no standard input at all.
var ErrNoInput = errors.New("no standard input")

// Output says how an answer is written: JSON (one object a line) or text,
// and whether text answers are left out (--quiet: only what was asked for
// and errors).
type Output struct {
	JSON  bool
	Quiet bool
}

// Verify is token verify's JSON answer: the API's, plus the token's state.
type Verify struct {
	webhook.VerifyAnswer
	State leakguard.State `json:"state,omitempty"` // the CLI's addition
}

// NewVerify is the answer to verification v made at now.
func NewVerify(v lifecycle.Verification, now time.Time) Verify {
	out := Verify{VerifyAnswer: webhook.NewVerifyAnswer(v, now)}
	if t := v.Token; t != nil {
		out.State = t.State(now)
	}
	return out
}

// ReadToken reads one token from r (standard input): surrounding
// whitespace trimmed, at most MaxInput bytes. It gives up when ctx is
// cancelled, even if r never ends. A nil r is ErrNoInput.
func ReadToken(ctx context.Context, r io.Reader) (patterns.Secret, error) {
	if r == nil {
		return patterns.Secret{}, ErrNoInput
	}
	in, release := interrupt.Reader(ctx, r)
	defer release()
	b, err := io.ReadAll(io.LimitReader(in, MaxInput+1))
	if err != nil {
		return patterns.Secret{}, fmt.Errorf("read token from stdin: %w", err)
	}
	return patterns.NewSecret(strings.TrimSpace(string(b))), nil
}

// ScopeFlags is a repeatable command-line flag (flag.Value): `--scope read
// --scope write` gives ["read", "write"]. The values are checked by
// lifecycle.Manager.Scopes when the token is issued.
type ScopeFlags []string

// String returns the scopes given so far, comma-separated.
func (s *ScopeFlags) String() string { return strings.Join(*s, ",") }

// Set adds one scope.
func (s *ScopeFlags) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// scopeText is how text answers show scopes: space-separated, escaped.
func scopeText(scopes []string) string { return report.Escape(strings.Join(scopes, " ")) }

// IssueNote tells the user on w (stderr) what was issued and whether the
// policy p capped the asked expiry.
func IssueNote(w io.Writer, t *store.Token, asked string, p lifecycle.Policy) {
	exp := "never expires"
	if t.ExpiresAt != nil {
		exp = "expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if len(t.Scopes) > 0 {
		exp += ", scopes " + scopeText(t.Scopes)
	}
	note(w, "issued %s token %s for %s (%s); it is shown only once", report.Escape(t.Type), report.Escape(t.ID), report.Escape(t.Owner), exp)
	if d, never, err := lifecycle.ParseExpiry(asked); err == nil && !never && p.MaxExpiry > 0 && d > p.MaxExpiry {
		note(w, "asked expiry %s capped to %s by --max-expiry", report.Escape(asked), lifecycle.FormatExpiry(p.MaxExpiry))
	}
}

// note writes one user-facing line, escaped as a whole, the way every
// message of the command line is.
func note(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, "leakguard: %s\n", report.Escape(fmt.Sprintf(format, a...)))
}

// WriteVerify writes token verify's answer: JSON, or for a valid token a
// line naming it (nothing for an invalid one: its reason goes to stderr).
func WriteVerify(w io.Writer, o Output, out Verify) error {
	if o.JSON {
		return json.NewEncoder(w).Encode(out)
	}
	if !out.Valid || o.Quiet {
		return nil
	}
	exp := "never expires"
	if out.ExpiresAt != nil {
		exp = "expires " + out.ExpiresAt.Format(time.RFC3339)
	}
	if len(out.Scopes) > 0 {
		exp = "scopes " + scopeText(out.Scopes) + ", " + exp
	}
	_, err := fmt.Fprintf(w, "valid: %s (%s, owner %s, %s)\n", report.Escape(out.ID), report.Escape(out.Type), report.Escape(out.Owner), exp)
	return err
}

// WriteRevoke writes token revoke's answer about t: JSON, or a line that
// says whether this call revoked it (the stored reason escaped).
func WriteRevoke(w io.Writer, o Output, t *store.Token, already bool, now time.Time) error {
	var err error
	switch {
	case o.JSON:
		err = json.NewEncoder(w).Encode(webhook.RevokeAnswer{ID: t.ID, Revoked: true, AlreadyRevoked: already})
	case o.Quiet:
	case already:
		_, err = fmt.Fprintf(w, "already invalid: %s: %s\n", report.Escape(t.ID), report.Escape(t.InvalidMessage(now)))
	default:
		_, err = fmt.Fprintf(w, "revoked: %s\n", report.Escape(t.ID))
	}
	return err
}

// WriteList writes token list's answer: JSON Lines of records, or a table.
func WriteList(w io.Writer, o Output, ts []*store.Token, now time.Time) error {
	if o.JSON {
		return WriteRecords(w, ts, now)
	}
	return WriteTable(w, ts, now)
}

// WriteRecords writes JSON Lines of token records.
func WriteRecords(w io.Writer, ts []*store.Token, now time.Time) error {
	enc := json.NewEncoder(w)
	for _, t := range ts {
		if err := enc.Encode(lifecycle.NewRecord(t, now)); err != nil {
			return err
		}
	}
	return nil
}

// WriteTable writes a human table of tokens (scopes comma-separated, "-"
// for none). Owner and name are whatever
// the caller who issued the token sent: each cell is escaped
// (report.Escape), so that tabs, newlines and escape sequences in it cannot
// shift columns, forge rows or drive the terminal.
func WriteTable(w io.Writer, ts []*store.Token, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tOWNER\tNAME\tLAST4\tSTATE\tEXPIRES\tLAST USED\tSCOPES")
	for _, t := range ts {
		r := lifecycle.NewRecord(t, now)
		cells := []string{r.ID, r.Type, r.Owner, r.Name, r.Last4, string(r.State),
			timeOr(r.ExpiresAt, "never"), timeOr(r.LastUsedAt, "-"), strings.Join(r.Scopes, ",")}
		if cells[len(cells)-1] == "" {
			cells[len(cells)-1] = "-"
		}
		for i, c := range cells {
			cells[i] = report.Escape(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// timeOr is t in RFC 3339 (UTC), or none when t is nil.
func timeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}
