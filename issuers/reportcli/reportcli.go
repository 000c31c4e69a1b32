// Package reportcli is what `leakguard reports list` prints: the reports
// of other issuers' tokens to their issuers (store.IssuerReport), as an
// escaped text table or as JSON Lines (docs/issuers.md#reports-list). A
// report holds a token's hash, never the token.
package reportcli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner/report"
	"github.com/leakguard/leakguard/store"
)

// Record is one report as JSON.
type Record struct {
	TokenHash   string     `json:"token_hash"`
	Issuer      string     `json:"issuer"`
	Rule        string     `json:"rule"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	Response    string     `json:"response,omitempty"`
	Source      string     `json:"source,omitempty"`
	Location    string     `json:"location,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	LastAttempt *time.Time `json:"last_attempt_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
}

// NewRecord returns r as a Record.
func NewRecord(r store.IssuerReport) Record {
	return Record{
		TokenHash: r.Hash, Issuer: r.Issuer, Rule: r.FormatID, State: string(r.State), Attempts: r.Attempts,
		Response: r.Response, Source: r.Source, Location: r.Location, CreatedAt: r.CreatedAt,
		LastAttempt: r.LastAttempt, AnsweredAt: r.AnsweredAt,
	}
}

// Write writes reps as JSON Lines (asJSON) or as a text table with a
// header: short hash, issuer, rule, state, attempts, first seen, answered,
// the issuer's answer and where the token was seen. Text fields that come
// from scanned data or from an issuer are escaped (report.Escape).
func Write(w io.Writer, reps []store.IssuerReport, asJSON bool) error {
	bw := bufio.NewWriter(w)
	if asJSON {
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, r := range reps {
			if err := enc.Encode(NewRecord(r)); err != nil {
				return fmt.Errorf("reports: %w", err)
			}
		}
		return bw.Flush()
	}
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HASH\tISSUER\tRULE\tSTATE\tATTEMPTS\tFIRST SEEN\tANSWERED\tANSWER\tLOCATION")
	for _, r := range reps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", leakguard.ShortHash(r.Hash), report.Escape(r.Issuer),
			report.Escape(r.FormatID), r.State, r.Attempts, r.CreatedAt.UTC().Format(time.RFC3339),
			timeOr(r.AnsweredAt), or(report.Escape(r.Response)), or(report.Escape(r.Location)))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return bw.Flush()
}

func timeOr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func or(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ParseState reads a --state value: "" (any) or one of the report states.
func ParseState(s string) (store.IssuerReportState, error) {
	switch st := store.IssuerReportState(s); st {
	case "", store.IssuerReportPending, store.IssuerReportAccepted, store.IssuerReportAlreadyInvalid, store.IssuerReportRejected:
		return st, nil
	}
	return "", fmt.Errorf("bad state %q: want pending, accepted, already_invalid or rejected", s)
}
