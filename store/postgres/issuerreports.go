package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leakguard/leakguard/store"
)

// issuerReportCols is the column list scanIssuerReport reads, in order.
const issuerReportCols = `hash, issuer, format_id, source, location, state, attempts, response,
	created_at, last_attempt, answered_at, lease_until`

// scanIssuerReport reads one row of issuerReportCols.
func scanIssuerReport(r pgx.Row) (store.IssuerReport, error) {
	var (
		rep   store.IssuerReport
		state string
	)
	if err := r.Scan(&rep.Hash, &rep.Issuer, &rep.FormatID, &rep.Source, &rep.Location, &state,
		&rep.Attempts, &rep.Response, &rep.CreatedAt, &rep.LastAttempt, &rep.AnsweredAt, &rep.LeaseUntil); err != nil {
		return store.IssuerReport{}, err
	}
	rep.State = store.IssuerReportState(state)
	rep.CreatedAt, rep.LeaseUntil = rep.CreatedAt.UTC(), rep.LeaseUntil.UTC()
	rep.LastAttempt, rep.AnsweredAt = utc(rep.LastAttempt), utc(rep.AnsweredAt)
	return rep, nil
}

// getIssuerReport loads the report of hash, or ErrNotFound.
func getIssuerReport(ctx context.Context, q querier, hash string) (store.IssuerReport, error) {
	rep, err := scanIssuerReport(q.QueryRow(ctx,
		`SELECT `+issuerReportCols+` FROM issuer_reports WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.IssuerReport{}, store.ErrNotFound
	}
	if err != nil {
		return store.IssuerReport{}, mapErr(err)
	}
	return rep, nil
}

// ClaimIssuerReport queues r if its hash is new, or takes over a pending
// report whose lease ended, in one transaction: an upsert whose update only
// applies to such a row (RETURNING tells whether it did), else the row as
// it stands. The upsert waits for a concurrent insert of the same hash and
// evaluates its condition on the locked, latest row, so of concurrent
// claimers in any process exactly one gets a row back.
func (s *Store) ClaimIssuerReport(ctx context.Context, r store.IssuerReport, now time.Time, lease time.Duration) (store.IssuerReport, bool, error) {
	label := store.IssuerReportLabel(r.Hash)
	row, err := store.PrepareIssuerClaim(r, now, lease, s.now)
	if err != nil {
		return store.IssuerReport{}, false, fmt.Errorf("postgres: claim %s: %w", label, err)
	}
	var (
		cur     store.IssuerReport
		claimed bool
	)
	err = s.write(ctx, func(tx pgx.Tx) error {
		rep, err := scanIssuerReport(tx.QueryRow(ctx, `INSERT INTO issuer_reports (`+issuerReportCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, 0, '', $7, NULL, NULL, $8)
			ON CONFLICT (hash) DO UPDATE SET lease_until = EXCLUDED.lease_until
			WHERE issuer_reports.state = $6 AND issuer_reports.lease_until <= $7
			RETURNING `+issuerReportCols,
			row.Hash, row.Issuer, row.FormatID, row.Source, row.Location, string(store.IssuerReportPending),
			row.CreatedAt, row.LeaseUntil))
		if errors.Is(err, pgx.ErrNoRows) {
			cur, err = getIssuerReport(ctx, tx, row.Hash)
			return err
		}
		cur, claimed = rep, err == nil
		return err
	})
	if err != nil {
		return store.IssuerReport{}, false, fmt.Errorf("postgres: claim %s: %w", label, err)
	}
	return cur, claimed, nil
}

// AnswerIssuerReport records an answer to a pending report with a
// conditional UPDATE ... WHERE state = 'pending' (a concurrent answer waits
// for the first to commit and then finds the row final); a final report is
// returned as stored and nothing is written.
func (s *Store) AnswerIssuerReport(ctx context.Context, hash string, state store.IssuerReportState, response string, at, retryAt time.Time) (store.IssuerReport, error) {
	label := store.IssuerReportLabel(hash)
	a, err := store.PrepareIssuerAnswer(hash, state, response, at, retryAt, s.now)
	if err != nil {
		return store.IssuerReport{}, fmt.Errorf("postgres: answer %s: %w", label, err)
	}
	var cur store.IssuerReport
	err = s.write(ctx, func(tx pgx.Tx) error {
		rep, err := scanIssuerReport(tx.QueryRow(ctx, `UPDATE issuer_reports
			SET state = $1, attempts = attempts + 1, response = $2, last_attempt = $3, answered_at = $4,
				lease_until = $5
			WHERE hash = $6 AND state = $7 RETURNING `+issuerReportCols,
			string(a.State), a.Response, a.At, a.AnsweredAt, a.LeaseUntil, a.Hash, string(store.IssuerReportPending)))
		if errors.Is(err, pgx.ErrNoRows) {
			cur, err = getIssuerReport(ctx, tx, a.Hash)
			return err
		}
		cur = rep
		return err
	})
	if err != nil {
		return store.IssuerReport{}, fmt.Errorf("postgres: answer %s: %w", label, err)
	}
	return cur, nil
}

// ListIssuerReports returns the reports f selects, ordered by CreatedAt,
// then Hash.
func (s *Store) ListIssuerReports(ctx context.Context, f store.IssuerReportFilter) ([]store.IssuerReport, error) {
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("postgres: list issuer reports: %w", err)
	}
	var where []string
	var args []any
	if f.Issuer != "" {
		args = append(args, f.Issuer)
		where = append(where, fmt.Sprintf("issuer = $%d", len(args)))
	}
	if f.State != "" {
		args = append(args, string(f.State))
		where = append(where, fmt.Sprintf("state = $%d", len(args)))
	}
	q := `SELECT ` + issuerReportCols + ` FROM issuer_reports`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at, hash"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	out, err := s.listIssuerReports(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list issuer reports: %w", mapErr(err))
	}
	return out, nil
}

// listIssuerReports runs a query of issuerReportCols on the pool.
func (s *Store) listIssuerReports(ctx context.Context, q string, args ...any) ([]store.IssuerReport, error) {
	rows, err := s.pool.Query(ctx, q, args...)
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
