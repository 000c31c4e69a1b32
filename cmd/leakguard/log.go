package main

import (
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/internal/term"
	"github.com/leakguard/leakguard/scanner/report"
)

// newLogger builds the process logger: zerolog JSON on w, console format
// when w is a terminal. It is passed as a value; there is no global logger.
func newLogger(w io.Writer, level string) (zerolog.Logger, error) {
	lvl := zerolog.InfoLevel
	if level != "" {
		l, err := zerolog.ParseLevel(level)
		if err != nil {
			return zerolog.Nop(), usageError("bad --log-level %q: %v", level, err)
		}
		lvl = l
	}
	if term.Is(w) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05"}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// warnf prints a user-facing message on stderr, one line: what it quotes
// (paths, remote answers, names) is escaped so that it cannot act on the
// terminal or forge lines (report.Escape leaves a backslash alone, so text
// escaped already by the caller is unchanged).
func warnf(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, "leakguard: %s\n", report.Escape(fmt.Sprintf(format, a...)))
}
