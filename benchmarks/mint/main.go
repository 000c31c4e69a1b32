// Command mint issues many tokens into a SQLite store for
// benchmarks/serve-verify.sh (TOKENS=N): each through lifecycle.Manager
// (as `leakguard token issue` does, in one process instead of N), its
// plaintext written to the file -out, one a line, mode 0600, and nowhere
// else.
//
//	go run ./benchmarks/mint -db lg.db -n 3000 -out tokens.txt
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store/sqlite"
)

func main() {
	db := flag.String("db", "", "SQLite database `file` (created if missing)")
	n := flag.Int("n", 1000, "how many tokens to issue")
	out := flag.String("out", "", "`file` to write the plaintexts to, one a line")
	flag.Parse()
	if err := run(*db, *n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mint:", err)
		os.Exit(2)
	}
}

func run(db string, n int, out string) error {
	if db == "" || out == "" || n < 1 {
		return fmt.Errorf("need -db, -out and -n >= 1")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	mgr := lifecycle.New(st, patterns.Default(), lifecycle.Options{Logger: zerolog.Nop()})
	defer func() { _ = mgr.Close() }()
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	start := time.Now()
	for i := range n {
		iss, err := mgr.Issue(ctx, lifecycle.IssueRequest{Owner: "bench@example.org",
			Name: fmt.Sprintf("bench-%d", i), Type: patterns.TypeUser, Actor: "bench", Source: "cli"})
		if err != nil {
			_ = f.Close()
			return fmt.Errorf("issue %d: %w", i, err)
		}
		if _, err := fmt.Fprintln(w, iss.Secret.Reveal()); err != nil {
			_ = f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "mint: %d tokens in %v\n", n, time.Since(start).Round(time.Millisecond))
	return f.Close()
}
