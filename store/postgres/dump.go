package postgres

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// dumpTables lists the tables Dump writes, in order.
func dumpTables() []string {
	return []string{"schema_migrations", "tokens", "events", "notices", "outbox", "issuer_reports", "revocation_counter", "revocations"}
}

// Dump writes every row of every table as text, one line per row
// ("table: col=value ..."), for tests (storetest's canary) and debugging.
func (s *Store) Dump(ctx context.Context, w io.Writer) error {
	for _, table := range dumpTables() {
		if err := s.dumpTable(ctx, w, table); err != nil {
			return fmt.Errorf("postgres: dump %s: %w", table, err)
		}
	}
	return nil
}

func (s *Store) dumpTable(ctx context.Context, w io.Writer, table string) error {
	rows, err := s.pool.Query(ctx, "SELECT * FROM "+pgx.Identifier{table}.Sanitize())
	if err != nil {
		return err
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString(table + ":")
		for i, v := range vals {
			if raw, ok := v.([]byte); ok {
				v = string(raw)
			}
			fmt.Fprintf(&b, " %s=%v", fields[i].Name, v)
		}
		b.WriteString("\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return rows.Err()
}
