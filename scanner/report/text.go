package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/scanner"
)

// ANSI colours of the text format.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// WriteText writes one line per finding:
//
//	path:line:column  rule  redacted  hash-prefix  status[  (encoded: ENC)][  (action by this scan)][  commit sha][  author]
//
// where ENC says how a token found encoded was written (base64,
// base64/percent, …; the position is that of the encoded form);
// where another issuer's token reported to its issuer shows
// "(reported to ISSUER by this scan: STATE)", or "(ISSUER report: STATE)"
// when an earlier run reported it.
//
// A finding without a path (stdin) shows "-"; a missing status shows "-".
// Paths, authors and every other field may come from the scanned data:
// control and bidi characters in them are shown escaped (Escape; a path
// that needs it is quoted whole), so that a line of the report cannot move
// the cursor, recolour the terminal or pose as another line.
func WriteText(w io.Writer, findings []scanner.Finding, o Options) error {
	bw := bufio.NewWriter(w)
	paint := func(color, s string) string {
		s = Escape(s)
		if !o.Color || s == "" {
			return s
		}
		return color + s + ansiReset
	}
	for _, f := range findings {
		loc := printablePath(f.Path) + ":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column)
		status := string(f.Status)
		if status == "" {
			status = "-"
		}
		fmt.Fprintf(bw, "%s  %s  %s  %s  %s", paint(ansiBold, loc), paint(ansiCyan, f.Rule),
			paint(ansiBold+ansiRed, f.Redacted), paint(ansiDim, leakguard.ShortHash(f.TokenHash)), paint(statusColor(status), status))
		if f.Encoding != "" {
			fmt.Fprintf(bw, "  %s", paint(ansiDim, "(encoded: "+f.Encoding+")"))
		}
		switch {
		case f.Action == leakguard.ActionReported:
			fmt.Fprintf(bw, "  %s", paint(ansiGreen, "(reported to "+f.Issuer+" by this scan: "+f.IssuerState+")"))
		case f.Action != "" && f.Action != leakguard.ActionNone:
			fmt.Fprintf(bw, "  %s", paint(ansiGreen, "("+string(f.Action)+" by this scan)"))
		case f.Issuer != "":
			fmt.Fprintf(bw, "  %s", paint(ansiDim, "("+f.Issuer+" report: "+f.IssuerState+")"))
		}
		if f.Commit != "" {
			fmt.Fprintf(bw, "  commit %s", Escape(f.Commit))
		}
		if f.Author != "" {
			fmt.Fprintf(bw, "  %s", Escape(f.Author))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// printablePath keeps a path on one line and inert: one that Escape would
// change is shown quoted (Quote), so that a backslash in it stays
// unambiguous; a missing path (stdin) is "-".
func printablePath(p string) string {
	if p == "" {
		return "-"
	}
	if NeedsEscape(p) {
		return Quote(p)
	}
	return p
}

func statusColor(status string) string {
	switch leakguard.State(status) {
	case leakguard.StateActive:
		return ansiBold + ansiRed
	case leakguard.StateRevoked:
		return ansiGreen
	case leakguard.StateExpired:
		return ansiYellow
	}
	return ansiDim
}

// WriteJSON writes findings as JSON Lines (docs/findings.md#json-lines), one object per line.
func WriteJSON(w io.Writer, findings []scanner.Finding) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, f := range findings {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("report: json: %w", err)
		}
	}
	return bw.Flush()
}
