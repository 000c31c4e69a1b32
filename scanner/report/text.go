package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

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
//	path:line:column  rule  redacted  hash-prefix  status[  (action by this scan)][  commit sha][  author]
//
// A finding without a path (stdin) shows "-"; a missing status shows "-".
func WriteText(w io.Writer, findings []scanner.Finding, o Options) error {
	bw := bufio.NewWriter(w)
	paint := func(color, s string) string {
		if !o.Color || s == "" {
			return s
		}
		return color + s + ansiReset
	}
	for _, f := range findings {
		loc := printablePath(f.Path)
		loc += ":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column)
		status := f.Status
		if status == "" {
			status = "-"
		}
		fmt.Fprintf(bw, "%s  %s  %s  %s  %s", paint(ansiBold, loc), paint(ansiCyan, f.Rule),
			paint(ansiBold+ansiRed, f.Redacted), paint(ansiDim, ShortHash(f.TokenHash)), paint(statusColor(status), status))
		if f.Action != "" && f.Action != scanner.ActionNone {
			fmt.Fprintf(bw, "  %s", paint(ansiGreen, "("+f.Action+" by this scan)"))
		}
		if f.Commit != "" {
			fmt.Fprintf(bw, "  commit %s", f.Commit)
		}
		if f.Author != "" {
			fmt.Fprintf(bw, "  %s", f.Author)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// printablePath keeps a path on one line: one with control characters or
// invalid UTF-8 is shown Go-quoted; a missing path (stdin) is "-".
func printablePath(p string) string {
	if p == "" {
		return "-"
	}
	if !utf8.ValidString(p) || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return strconv.Quote(p)
	}
	return p
}

func statusColor(status string) string {
	switch status {
	case scanner.StatusActive:
		return ansiBold + ansiRed
	case scanner.StatusRevoked:
		return ansiGreen
	case scanner.StatusExpired:
		return ansiYellow
	}
	return ansiDim
}

// WriteJSON writes findings as JSON Lines (CONTRACT §2), one object per line.
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
