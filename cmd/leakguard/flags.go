package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/leakguard/leakguard/patterns"
)

// newFlagSet returns a FlagSet for a subcommand that reports errors instead
// of exiting. What the flag package prints itself ("flag provided but not
// defined: -lgu_…" when a token is pasted where a flag goes, a bad value's
// quote) has token-shaped strings redacted.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("leakguard "+name, flag.ContinueOnError)
	fs.SetOutput(redactingWriter{w: stderr, cat: patterns.Default()})
	return fs
}

// redactingWriter writes through w with cat's token-shaped strings
// redacted. Each Write is redacted on its own, which covers the flag
// package: it prints every message with one call.
type redactingWriter struct {
	w   io.Writer
	cat *patterns.Catalog
}

func (r redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, r.cat.RedactTokens(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment twin (LEAKGUARD_ + upper-case name, '-' → '_').
// Precedence: flag > environment > default.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK} // -h: usage printed, nothing else to say
		}
		return &exitError{code: exitFail, err: err}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = &exitError{code: exitFail, err: fmt.Errorf("environment %s: %w", name, e)}
		}
	})
	return err
}

// envName is a flag's environment twin.
func envName(flagName string) string {
	return "LEAKGUARD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// usageError is a bad command line: exit 2 with the message.
func usageError(format string, a ...any) error {
	return &exitError{code: exitFail, err: fmt.Errorf(format, a...)}
}

// noArchivesUsage is the help of --no-archives, the same for every
// command that scans blobs or files.
const noArchivesUsage = "scan archives and compressed files (zip, jar, tar, tgz, gz, bz2, zst, xz), in files and in history blobs, as plain bytes instead of opening them"
