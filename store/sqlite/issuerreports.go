package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/leakguard/leakguard/store"
)

// issuerReportCols is the column list scanIssuerReport reads, in order.
const issuerReportCols = `hash, issuer, format_id, source, location, state, attempts, response,
	created_at, last_attempt, answered_at, lease_until`

// scanIssuerReport reads one row of issuerReportCols.
func scanIssuerReport(r rowScanner) (store.IssuerReport, error) {
	var (
		rep                   store.IssuerReport
		state, created, lease string
		last, answered        sql.NullString
	)
	if err := r.Scan(&rep.Hash, &rep.Issuer, &rep.FormatID, &rep.Source, &rep.Location, &state,
		&rep.Attempts, &rep.Response, &created, &last, &answered, &lease); err != nil {
		return store.IssuerReport{}, err
	}
	rep.State = store.IssuerReportState(state)
	var err error
	if rep.CreatedAt, err = parseTime(created); err != nil {
		return store.IssuerReport{}, err
	}
	if rep.LastAttempt, err = parseTimePtr(last); err != nil {
		return store.IssuerReport{}, err
	}
	if rep.AnsweredAt, err = parseTimePtr(answered); err != nil {
		return store.IssuerReport{}, err
	}
	if rep.LeaseUntil, err = parseTime(lease); err != nil {
		return store.IssuerReport{}, err
	}
	return rep, nil
}

// getIssuerReport loads the report of hash, or ErrNotFound.
func getIssuerReport(ctx context.Context, q querier, hash string) (store.IssuerReport, error) {
	rep, err := scanIssuerReport(q.QueryRowContext(ctx,
		`SELECT `+issuerReportCols+` FROM issuer_reports WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.IssuerReport{}, store.ErrNotFound
	}
	if err != nil {
		return store.IssuerReport{}, mapErr(err)
	}
	return rep, nil
}

// ClaimIssuerReport queues r if its hash is new, or takes over a pending
// report whose lease ended, in one write transaction: an upsert whose
// update only applies to such a row (RETURNING tells whether it did), else
// the row as it stands. The write lock (BEGIN IMMEDIATE) serializes
// claimers in every process sharing the file.
func (s *Store) ClaimIssuerReport(ctx context.Context, r store.IssuerReport, now time.Time, lease time.Duration) (store.IssuerReport, bool, error) {
	label := store.IssuerReportLabel(r.Hash)
	row, err := store.PrepareIssuerClaim(r, now, lease, s.now)
	if err != nil {
		return store.IssuerReport{}, false, fmt.Errorf("sqlite: claim %s: %w", label, err)
	}
	var (
		cur     store.IssuerReport
		claimed bool
	)
	err = s.write(ctx, func(tx *sql.Tx) error {
		rep, err := scanIssuerReport(tx.QueryRowContext(ctx, `INSERT INTO issuer_reports (`+issuerReportCols+`)
			VALUES (?, ?, ?, ?, ?, ?, 0, '', ?, NULL, NULL, ?)
			ON CONFLICT (hash) DO UPDATE SET lease_until = excluded.lease_until
			WHERE issuer_reports.state = ? AND issuer_reports.lease_until <= ?
			RETURNING `+issuerReportCols,
			row.Hash, row.Issuer, row.FormatID, row.Source, row.Location, string(row.State),
			fmtTime(row.CreatedAt), fmtTime(row.LeaseUntil), string(store.IssuerReportPending), fmtTime(row.CreatedAt)))
		if errors.Is(err, sql.ErrNoRows) {
			cur, err = getIssuerReport(ctx, tx, row.Hash)
			return err
		}
		cur, claimed = rep, err == nil
		return err
	})
	if err != nil {
		return store.IssuerReport{}, false, fmt.Errorf("sqlite: claim %s: %w", label, err)
	}
	return cur, claimed, nil
}

// AnswerIssuerReport records an answer to a pending report with a
// conditional update on state = pending; a final report is returned as
// stored and nothing is written.
func (s *Store) AnswerIssuerReport(ctx context.Context, hash string, state store.IssuerReportState, response string, at, retryAt time.Time) (store.IssuerReport, error) {
	label := store.IssuerReportLabel(hash)
	a, err := store.PrepareIssuerAnswer(hash, state, response, at, retryAt, s.now)
	if err != nil {
		return store.IssuerReport{}, fmt.Errorf("sqlite: answer %s: %w", label, err)
	}
	var cur store.IssuerReport
	err = s.write(ctx, func(tx *sql.Tx) error {
		rep, err := scanIssuerReport(tx.QueryRowContext(ctx, `UPDATE issuer_reports
			SET state = ?, attempts = attempts + 1, response = ?, last_attempt = ?, answered_at = ?, lease_until = ?
			WHERE hash = ? AND state = ? RETURNING `+issuerReportCols,
			string(a.State), a.Response, fmtTime(a.At), fmtTimePtr(a.AnsweredAt), fmtTime(a.LeaseUntil),
			a.Hash, string(store.IssuerReportPending)))
		if errors.Is(err, sql.ErrNoRows) {
			cur, err = getIssuerReport(ctx, tx, a.Hash)
			return err
		}
		cur = rep
		return err
	})
	if err != nil {
		return store.IssuerReport{}, fmt.Errorf("sqlite: answer %s: %w", label, err)
	}
	return cur, nil
}

// ListIssuerReports returns the reports f selects, ordered by CreatedAt,
// then Hash.
func (s *Store) ListIssuerReports(ctx context.Context, f store.IssuerReportFilter) ([]store.IssuerReport, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("sqlite: list issuer reports: %w", err)
	}
	var where []string
	var args []any
	if f.Issuer != "" {
		where, args = append(where, "issuer = ?"), append(args, f.Issuer)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	q := `SELECT ` + issuerReportCols + ` FROM issuer_reports`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at, hash"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	out, err := s.listIssuerReports(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list issuer reports: %w", mapErr(err))
	}
	return out, nil
}

// listIssuerReports runs a query of issuerReportCols on the readers.
func (s *Store) listIssuerReports(ctx context.Context, q string, args ...any) ([]store.IssuerReport, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.IssuerReport
	for rows.Next() {
		rep, err := scanIssuerReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, rows.Err()
}
