package store

import (
	"context"
	"time"
)

// IssuerReportState is where a report of another issuer's leaked token
// stands (docs/issuers.md).
type IssuerReportState string

// Issuer report states. Pending reports are (re)sent by the next process
// that finds the token and claims them; the others are final, and a
// token's hash is never reported twice once it reached one of them.
const (
	// IssuerReportPending: queued, not yet answered by the issuer (never
	// sent, or every attempt so far failed or was throttled).
	IssuerReportPending IssuerReportState = "pending"
	// IssuerReportAccepted: the issuer accepted the report (GitHub 202,
	// GitLab 204: revoked).
	IssuerReportAccepted IssuerReportState = "accepted"
	// IssuerReportAlreadyInvalid: the issuer says the token was already
	// invalid (GitLab 401).
	IssuerReportAlreadyInvalid IssuerReportState = "already_invalid"
	// IssuerReportRejected: the issuer refused the report for good (a
	// malformed token, an answer the protocol calls final).
	IssuerReportRejected IssuerReportState = "rejected"
)

// Final reports whether no further attempt will be made.
func (s IssuerReportState) Final() bool { return s != IssuerReportPending && s != "" }

// IssuerReport is one token of another issuer reported (or to be reported)
// to that issuer. It holds the token's hash and never the token: a pending
// report whose process died before sending is completed by the next scan
// that finds the token again.
type IssuerReport struct {
	Hash     string            // SHA-256 hex of the token; primary key: one report per token, forever
	Issuer   string            // patterns.Issuer ID ("github", "gitlab")
	FormatID string            // patterns format id of the token
	Source   string            // where it was first seen (leakguard.Source)
	Location string            // where it was first seen (path:line, URL); recorded, never fetched
	State    IssuerReportState //
	Attempts int               // answers recorded: runs that sent it (a run may retry within its bounds)
	// Response is the issuer's last answer ("202 Accepted", "401
	// Unauthorized", a throttling message); never the token.
	Response    string
	CreatedAt   time.Time  // when it was first queued
	LastAttempt *time.Time // when it was last sent
	AnsweredAt  *time.Time // when it reached a final state
	// LeaseUntil: a claimer holds the report until then (it is sending
	// it); after it, the report may be claimed again.
	LeaseUntil time.Time
}

// IssuerReportFilter selects reports for ListIssuerReports; zero fields do
// not filter. Reports come ordered by CreatedAt, then Hash.
type IssuerReportFilter struct {
	Issuer string
	State  IssuerReportState
	Limit  int // 0: no limit
}

// IssuerReports is the durable queue of reports to other issuers. Every
// Store implements it (Store embeds it).
type IssuerReports interface {
	// ClaimIssuerReport queues r (by r.Hash) if it is new, or takes over a
	// pending one whose lease ended, and holds it until now+lease: claimed
	// is true and cur is the report as held. For a final report, or a
	// pending one another claimer holds, claimed is false and nothing is
	// written. r needs Hash (64 lower-case hex), Issuer and FormatID
	// (ErrInvalid otherwise); Source and Location are kept from the first
	// claim only. lease must be positive.
	ClaimIssuerReport(ctx context.Context, r IssuerReport, now time.Time, lease time.Duration) (cur IssuerReport, claimed bool, err error)

	// AnswerIssuerReport records the issuer's answer to a claimed report:
	// one more attempt at at, Response, and State. A final state is kept
	// forever (a later call for a final report writes nothing and returns
	// its stored state); a pending state (throttled, failed) releases the
	// lease until retryAt, when the report may be claimed again.
	// ErrNotFound for an unknown hash, ErrInvalid for an unknown state.
	AnswerIssuerReport(ctx context.Context, hash string, state IssuerReportState, response string, at, retryAt time.Time) (IssuerReport, error)

	// ListIssuerReports returns the reports f selects.
	ListIssuerReports(ctx context.Context, f IssuerReportFilter) ([]IssuerReport, error)
}
