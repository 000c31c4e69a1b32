package issuers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/internal/wait"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/store"
)

// Item is one leaked token to report to its issuer.
type Item struct {
	Secret   patterns.Secret  // the token; kept in memory only
	Source   leakguard.Source // where it was seen
	Location string           // where it was seen (path:line, URL); recorded, never fetched
}

// Result is what became of one distinct token of Report's items.
type Result struct {
	// Index is the index in the items of the first item of this token.
	Index int
	Hash  leakguard.Hash
	// Issuer is the ID of the token's issuer; empty when no issuer in the
	// table revokes its format (nothing was sent or stored).
	Issuer string
	// Sent is true when this call sent the token and the issuer answered
	// it for good (Report.State is final).
	Sent bool
	// Report is the stored report after the call (zero when Issuer is
	// empty or the store failed).
	Report store.IssuerReport
	// Err is set when the report could not be claimed, sent or recorded;
	// a report left pending is not an error (see Pending).
	Err error
}

// Pending reports whether the token's report still waits for an answer
// from its issuer (throttled, failing, or sent by another process now).
func (r Result) Pending() bool { return r.Issuer != "" && !r.Report.State.Final() }

// Options tunes a Reporter.
type Options struct {
	// Issuers is the issuer table (default patterns.Issuers()).
	Issuers []patterns.Issuer
	// Senders speak each issuer's protocol, by issuer ID. A token whose
	// issuer has no Sender is not reported (and not stored).
	Senders map[string]Sender
	// Now is the clock (default time.Now); Sleep waits (default a timer
	// that ends with ctx).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Lease is how long a claimed report is held by this process before
	// another may send it (default 2 minutes).
	Lease time.Duration
	// MaxWait bounds how long one Report call waits for an issuer that
	// throttles it before it leaves the reports pending (default 1
	// minute; the issuer's Retry-After beyond it is recorded instead).
	MaxWait time.Duration
	// SendTime bounds the time one Report call spends sending, all
	// batches included (default 90 s, inside the default Lease): a batch
	// not sent by then stays pending for the next run, so that a scanned
	// tree full of tokens for an unreachable issuer cannot hold a run for
	// requests × timeout.
	SendTime time.Duration
	// Attempts bounds the requests one Report call makes per batch
	// (default 3).
	Attempts int
	Logger   zerolog.Logger
}

// Reporter reports other issuers' leaked tokens to them, through the
// durable queue of store.IssuerReports. It is safe for concurrent use.
type Reporter struct {
	st   store.IssuerReports
	cat  *patterns.Catalog
	o    Options
	mu   sync.Mutex
	sent map[string][]time.Time // issuer ID → this process's requests in the last hour
}

// NewReporter returns a Reporter that identifies tokens with cat and
// queues their reports in st.
func NewReporter(st store.IssuerReports, cat *patterns.Catalog, o Options) *Reporter {
	if o.Issuers == nil {
		o.Issuers = patterns.Issuers()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = wait.Sleep
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.MaxWait <= 0 {
		o.MaxWait = time.Minute
	}
	if o.SendTime <= 0 {
		o.SendTime = 90 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	return &Reporter{st: st, cat: cat, o: o, sent: map[string][]time.Time{}}
}

// IssuerOf returns the issuer that revokes s, identified by prefix and
// checksum (or structure), if the table has one with a Sender.
func (r *Reporter) IssuerOf(s patterns.Secret) (patterns.Issuer, *patterns.Format, bool) {
	f, ok := r.cat.Identify(s.Reveal())
	if !ok || f.Issued {
		return patterns.Issuer{}, nil, false
	}
	is, ok := patterns.IssuerOf(r.o.Issuers, f.ID)
	if !ok || r.o.Senders[is.ID] == nil {
		return patterns.Issuer{}, nil, false
	}
	return is, f, true
}

// claimed is a report this call holds, with its token.
type claimed struct {
	res    int // index in the results
	secret patterns.Secret
}

// Report sends each distinct token of items to its issuer, once per token
// forever: it claims the token's report in the store (a final one is not
// sent again; one another process holds is left to it), sends the claimed
// ones in batches of each issuer's size, all issuers at once, and records
// every answer. Throttling is waited out up to MaxWait; past it, or after
// Attempts failures, the reports stay pending for the next process that
// finds the tokens. Results come one per distinct token, in order of first
// appearance; the error joins the per-token errors.
func (r *Reporter) Report(ctx context.Context, items []Item) ([]Result, error) {
	results := make([]Result, 0, len(items))
	seen := make(map[leakguard.Hash]bool, len(items))
	work := map[string][]claimed{}
	var order []string
	for i, it := range items {
		h := leakguard.Hash(patterns.HashToken(it.Secret.Reveal()))
		if seen[h] {
			continue
		}
		seen[h] = true
		res := Result{Index: i, Hash: h}
		is, f, ok := r.IssuerOf(it.Secret)
		if !ok {
			results = append(results, res)
			continue
		}
		res.Issuer = is.ID
		cur, got, err := r.st.ClaimIssuerReport(ctx, store.IssuerReport{
			Hash: string(h), Issuer: is.ID, FormatID: f.ID, Source: string(it.Source), Location: it.Location,
		}, r.o.Now().UTC(), r.o.Lease)
		res.Report, res.Err = cur, err
		if err != nil {
			res.Err = fmt.Errorf("issuers: queue %s for %s: %w", h.Short(), is.ID, err)
		}
		results = append(results, res)
		if err == nil && got {
			if work[is.ID] == nil {
				order = append(order, is.ID)
			}
			work[is.ID] = append(work[is.ID], claimed{res: len(results) - 1, secret: it.Secret})
		}
	}
	sendCtx, cancel := context.WithTimeout(ctx, r.o.SendTime)
	defer cancel()
	var wg sync.WaitGroup
	for _, id := range order {
		is, _ := r.issuer(id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.sendAll(sendCtx, is, work[id], results)
		}()
	}
	wg.Wait()
	errs := make([]error, 0)
	for _, res := range results {
		if res.Err != nil {
			errs = append(errs, res.Err)
		}
	}
	return results, errors.Join(errs...)
}

func (r *Reporter) issuer(id string) (patterns.Issuer, bool) {
	for _, is := range r.o.Issuers {
		if is.ID == id {
			return is, true
		}
	}
	return patterns.Issuer{}, false
}

// sendAll sends one issuer's claimed reports in batches, one batch at a
// time. Each goroutine writes only its own results' elements.
func (r *Reporter) sendAll(ctx context.Context, is patterns.Issuer, cs []claimed, results []Result) {
	size := max(is.Batch, 1)
	for start := 0; start < len(cs); start += size {
		batch := cs[start:min(start+size, len(cs))]
		if ctx.Err() != nil { // SendTime is up, or the run was interrupted
			r.record(ctx, is, batch, nil, fmt.Errorf("not sent: this run's time for issuers (%s) ran out", r.o.SendTime), time.Time{}, results)
			continue
		}
		r.sendBatch(ctx, is, batch, results)
	}
}

// sendBatch sends one batch, retrying throttling and failures within
// Attempts and MaxWait, and records the answers.
func (r *Reporter) sendBatch(ctx context.Context, is patterns.Issuer, batch []claimed, results []Result) {
	tokens := make([]patterns.Secret, len(batch))
	for i, c := range batch {
		tokens[i] = c.secret
	}
	deadline := r.o.Now().Add(r.o.MaxWait)
	var (
		answers []Answer
		err     error
		retryAt time.Time
	)
	for attempt := 1; ; attempt++ {
		if next, ok := r.budget(is); !ok {
			err, retryAt = fmt.Errorf("this process used %s's %d requests an hour", is.Name, is.PerHour), next
			break
		}
		answers, err = r.o.Senders[is.ID].Send(ctx, tokens)
		if err == nil && len(answers) != len(tokens) {
			err = fmt.Errorf("%s answered %d of %d tokens", is.Name, len(answers), len(tokens))
		}
		wait := backoff(attempt)
		if err == nil {
			again := retryable(is, answers)
			if again < 0 {
				break
			}
			if d := answers[again].RetryAfter; d > 0 {
				wait = d
			}
		}
		retryAt = r.o.Now().Add(wait)
		if attempt >= r.o.Attempts || retryAt.After(deadline) || ctx.Err() != nil {
			break
		}
		r.o.Logger.Info().Str("issuer", is.ID).Int("tokens", len(tokens)).Dur("wait", wait).Msg("issuer did not take the report yet (throttled, failing or unreachable); trying again")
		if r.o.Sleep(ctx, wait) != nil {
			break
		}
	}
	r.record(ctx, is, batch, answers, err, retryAt, results)
}

// record stores the answers of one batch (or its failure) in the queue.
func (r *Reporter) record(ctx context.Context, is patterns.Issuer, batch []claimed, answers []Answer, sendErr error, retryAt time.Time, results []Result) {
	at := r.o.Now().UTC()
	ctx = context.WithoutCancel(ctx) // an answer had is recorded even when the run is interrupted
	for i, c := range batch {
		res := &results[c.res]
		state, text := store.IssuerReportPending, ""
		if sendErr != nil {
			text = sendErr.Error()
		} else {
			state, text = classify(is, answers[i]), answers[i].Text
		}
		text = redact(text, batch)
		if retryAt.IsZero() || retryAt.Before(at) {
			retryAt = at
		}
		rep, err := r.st.AnswerIssuerReport(ctx, string(res.Hash), state, text, at, retryAt)
		if err != nil {
			res.Err = fmt.Errorf("issuers: record %s's answer for %s: %w", is.ID, res.Hash.Short(), err)
			continue
		}
		res.Report, res.Sent = rep, state.Final()
		ev := r.o.Logger.Info()
		if !state.Final() {
			ev = r.o.Logger.Warn()
		}
		ev.Str("issuer", is.ID).Str("token_hash", res.Hash.Short()).Str("state", string(state)).Str("answer", text).Msg("reported leaked token to its issuer")
	}
}

// classify reads an answer by the issuer's table.
func classify(is patterns.Issuer, a Answer) store.IssuerReportState {
	switch {
	case slices.Contains(is.Accepted, a.Status):
		return store.IssuerReportAccepted
	case slices.Contains(is.AlreadyInvalid, a.Status):
		return store.IssuerReportAlreadyInvalid
	case slices.Contains(is.Throttled, a.Status), a.Status >= 500, a.Status < 400:
		return store.IssuerReportPending
	}
	return store.IssuerReportRejected
}

// retryable returns the index of an answer that asks to try again, or -1.
func retryable(is patterns.Issuer, answers []Answer) int {
	for i, a := range answers {
		if classify(is, a) == store.IssuerReportPending {
			return i
		}
	}
	return -1
}

// backoff is the wait before attempt+1 when the issuer names none: 1s, 2s,
// 4s, ... capped at a minute.
func backoff(attempt int) time.Duration {
	return min(time.Second<<min(attempt-1, 6), time.Minute)
}

// budget takes one request from this process's hourly budget for is, or
// says when the next one frees up.
func (r *Reporter) budget(is patterns.Issuer) (time.Time, bool) {
	if is.PerHour <= 0 {
		return time.Time{}, true
	}
	now := r.o.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	recent := r.sent[is.ID][:0]
	for _, t := range r.sent[is.ID] {
		if now.Sub(t) < time.Hour {
			recent = append(recent, t)
		}
	}
	if len(recent) >= is.PerHour {
		r.sent[is.ID] = recent
		return recent[0].Add(time.Hour), false
	}
	r.sent[is.ID] = append(recent, now)
	return time.Time{}, true
}

// maxAnswer bounds an answer as stored.
const maxAnswer = 300

// redact removes the batch's tokens from an answer (a Sender must not
// return them, but an issuer may echo them back) and bounds it.
func redact(text string, batch []claimed) string {
	for _, c := range batch {
		if tok := c.secret.Reveal(); tok != "" {
			text = strings.ReplaceAll(text, tok, patterns.Redacted)
		}
	}
	if len(text) > maxAnswer {
		text = strings.ToValidUTF8(text[:maxAnswer], "") + "…"
	}
	return text
}
