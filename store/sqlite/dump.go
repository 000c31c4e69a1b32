package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
)

// dumpTables lists the tables Dump writes, in order.
func dumpTables() []string {
	return []string{"schema_migrations", "tokens", "events", "notices", "outbox", "issuer_reports", "revocations"}
}

// Dump writes every row of every table as text, one line per row
// ("table: col=value ..."), for tests (storetest's canary) and debugging.
func (s *Store) Dump(ctx context.Context, w io.Writer) error {
	for _, table := range dumpTables() {
		if err := s.dumpTable(ctx, w, table); err != nil {
			return fmt.Errorf("sqlite: dump %s: %w", table, err)
		}
	}
	return nil
}

func (s *Store) dumpTable(ctx context.Context, w io.Writer, table string) error {
	rows, err := s.r.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := dumpRow(w, table, cols, rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func dumpRow(w io.Writer, table string, cols []string, rows *sql.Rows) error {
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(table + ":")
	for i, c := range cols {
		v := vals[i]
		if raw, ok := v.([]byte); ok {
			v = string(raw)
		}
		fmt.Fprintf(&b, " %s=%v", c, v)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
