// Package report writes scan findings as text, JSON Lines or SARIF 2.1.0.
//
// Every writer prints the redacted form and the SHA-256 hash of a token,
// never its plaintext: a Finding's Secret is not read here. Writers take the
// findings already sorted (Sort) so that output is deterministic.
package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/scanner"
)

// Output formats.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
)

// Formats lists the output formats.
func Formats() []string { return []string{FormatText, FormatJSON, FormatSARIF} }

// Options tune a report.
type Options struct {
	// Color turns on ANSI colours in the text format (for terminals).
	Color bool
	// Version is the tool version written into SARIF.
	Version string
	// Catalog provides SARIF's rules (every format of it, in its order);
	// rules of findings outside it are added after them.
	Catalog *patterns.Catalog
	// Root is the directory SARIF artifact URIs are made relative to when a
	// finding's path is absolute ("" = leave absolute paths as file URIs).
	Root string
}

// Write writes findings in the given format.
func Write(w io.Writer, format string, findings []scanner.Finding, o Options) error {
	switch format {
	case FormatText:
		return WriteText(w, findings, o)
	case FormatJSON:
		return WriteJSON(w, findings)
	case FormatSARIF:
		return WriteSARIF(w, findings, o)
	}
	return fmt.Errorf("report: unknown format %q (want text, json or sarif)", format)
}

// ValidFormat reports whether format is one of Formats.
func ValidFormat(format string) bool { return slices.Contains(Formats(), format) }

// Sort orders findings deterministically: path, line, column, then commit,
// rule and token hash.
func Sort(findings []scanner.Finding) {
	slices.SortStableFunc(findings, func(a, b scanner.Finding) int {
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Commit, b.Commit),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.TokenHash, b.TokenHash),
		)
	})
}
