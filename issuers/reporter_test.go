package issuers_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
	"github.com/leakguard/leakguard/store/sqlite"
)

// fakeSender records what it was sent (by hash) and answers from a script:
// answer(call, tokens) gives the answers of the call-th request (1-based).
type fakeSender struct {
	mu     sync.Mutex
	calls  [][]string // hashes per request
	answer func(call int, toks []patterns.Secret) ([]issuers.Answer, error)
}

func (f *fakeSender) Send(_ context.Context, toks []patterns.Secret) ([]issuers.Answer, error) {
	f.mu.Lock()
	hs := make([]string, len(toks))
	for i, t := range toks {
		hs[i] = t.Hash()
	}
	f.calls = append(f.calls, hs)
	call := len(f.calls)
	f.mu.Unlock()
	return f.answer(call, toks)
}

func (f *fakeSender) requests() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.calls...)
}

// status answers every token of every call with status (and retry).
func status(code int, retry time.Duration) func(int, []patterns.Secret) ([]issuers.Answer, error) {
	return func(_ int, toks []patterns.Secret) ([]issuers.Answer, error) {
		as := make([]issuers.Answer, len(toks))
		for i := range as {
			as[i] = issuers.Answer{Status: code, Text: fmt.Sprintf("%d", code), RetryAfter: retry}
		}
		return as, nil
	}
}

// clock is a settable clock; sleeping advances it.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	c.Advance(d)
	return nil
}

type env struct {
	st     *sqlite.Store
	cat    *patterns.Catalog
	clk    *clock
	gh, gl *fakeSender
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lg.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{
		st: st, cat: patterns.Default(), clk: &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)},
		gh: &fakeSender{answer: status(202, 0)}, gl: &fakeSender{answer: status(204, 0)},
	}
}

func (e *env) reporter(mod ...func(*issuers.Options)) *issuers.Reporter {
	o := issuers.Options{
		Senders: map[string]issuers.Sender{"github": e.gh, "gitlab": e.gl},
		Now:     e.clk.Now, Sleep: e.clk.Sleep,
	}
	for _, m := range mod {
		m(&o)
	}
	return issuers.NewReporter(e.st, e.cat, o)
}

// token generates a checksum-valid token of format id.
func (e *env) token(t *testing.T, id string) patterns.Secret {
	t.Helper()
	f, ok := e.cat.ByID(id)
	if !ok {
		t.Fatalf("no format %s", id)
	}
	if id == "gitlab-pat" { // routable: not generated; GitLab's own sample
		return patterns.NewSecret(f.TruePositives[0])
	}
	s, err := f.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func items(toks ...patterns.Secret) []issuers.Item {
	its := make([]issuers.Item, len(toks))
	for i, s := range toks {
		its[i] = issuers.Item{Secret: s, Source: leakguard.SourceFile, Location: fmt.Sprintf("app/config.py:%d", i+1)}
	}
	return its
}

func TestReportOncePerTokenForever(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ghp1, ghp2, glpat := e.token(t, "github-pat"), e.token(t, "github-oauth"), e.token(t, "gitlab-pat")
	ours, npm := e.token(t, "leakguard-user"), e.token(t, "npm-access-token")
	r := e.reporter()
	res, err := r.Report(context.Background(), items(ghp1, ours, ghp2, glpat, ghp1, npm))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 {
		t.Fatalf("%d results, want 5 (one per distinct token)", len(res))
	}
	want := map[leakguard.Hash]string{
		leakguard.Hash(ghp1.Hash()): "github", leakguard.Hash(ghp2.Hash()): "github",
		leakguard.Hash(glpat.Hash()): "gitlab", leakguard.Hash(ours.Hash()): "", leakguard.Hash(npm.Hash()): "",
	}
	for _, x := range res {
		if x.Issuer != want[x.Hash] {
			t.Errorf("%s: issuer %q, want %q", x.Hash.Short(), x.Issuer, want[x.Hash])
		}
		if x.Issuer != "" && (!x.Sent || x.Report.State.Final() == false || x.Report.Attempts != 1) {
			t.Errorf("%s: sent %v, report %+v; want sent, final, 1 attempt", x.Hash.Short(), x.Sent, x.Report)
		}
	}
	if got := e.gh.requests(); len(got) != 1 || len(got[0]) != 2 {
		t.Fatalf("github requests %v, want one batch of the 2 GitHub tokens", got)
	}
	if got := e.gl.requests(); len(got) != 1 || got[0][0] != glpat.Hash() {
		t.Fatalf("gitlab requests %v, want the glpat- token once", got)
	}
	for _, h := range e.gh.requests()[0] {
		if h == glpat.Hash() || h == ours.Hash() || h == npm.Hash() {
			t.Fatalf("a token of another issuer was sent to GitHub")
		}
	}
	// A second run, by a new reporter (another process), sends nothing.
	res, err = e.reporter().Report(context.Background(), items(ghp1, glpat, ghp2))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res {
		if x.Sent || x.Report.State != store.IssuerReportAccepted {
			t.Errorf("second run: %s sent %v state %s; want not sent, accepted", x.Hash.Short(), x.Sent, x.Report.State)
		}
	}
	if len(e.gh.requests()) != 1 || len(e.gl.requests()) != 1 {
		t.Fatalf("second run sent again: github %d, gitlab %d requests", len(e.gh.requests()), len(e.gl.requests()))
	}
}

func TestReportAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   func(int, []patterns.Secret) ([]issuers.Answer, error)
		want     store.IssuerReportState
		requests int
		sleeps   []time.Duration
	}{
		{"accepted", status(202, 0), store.IssuerReportAccepted, 1, nil},
		{"rejected for good", status(400, 0), store.IssuerReportRejected, 1, nil},
		{"throttled, then accepted", func(call int, toks []patterns.Secret) ([]issuers.Answer, error) {
			if call == 1 {
				return status(422, 7*time.Second)(call, toks)
			}
			return status(202, 0)(call, toks)
		}, store.IssuerReportAccepted, 2, []time.Duration{7 * time.Second}},
		{"throttled past the wait", status(422, time.Hour), store.IssuerReportPending, 1, nil},
		{"server errors back off, then stay pending", status(502, 0), store.IssuerReportPending, 3,
			[]time.Duration{time.Second, 2 * time.Second}},
		{"transport errors back off, then stay pending", func(int, []patterns.Secret) ([]issuers.Answer, error) {
			return nil, fmt.Errorf("connection refused")
		}, store.IssuerReportPending, 3, []time.Duration{time.Second, 2 * time.Second}},
		{"a redirect is not followed and stays pending", status(302, 0), store.IssuerReportPending, 3,
			[]time.Duration{time.Second, 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.gh.answer = tt.answer
			tok := e.token(t, "github-pat")
			res, err := e.reporter().Report(context.Background(), items(tok))
			if err != nil {
				t.Fatal(err)
			}
			if got := res[0].Report.State; got != tt.want {
				t.Fatalf("state %s, want %s (answer %q)", got, tt.want, res[0].Report.Response)
			}
			if got := len(e.gh.requests()); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if fmt.Sprint(e.clk.sleeps) != fmt.Sprint(tt.sleeps) {
				t.Errorf("slept %v, want %v", e.clk.sleeps, tt.sleeps)
			}
			if res[0].Sent != tt.want.Final() {
				t.Errorf("sent %v for state %s", res[0].Sent, tt.want)
			}
		})
	}
}

// A pending report is sent again only once its retry time (or a dead
// process's lease) has passed, and by whoever finds the token then.
func TestPendingIsSentByTheNextFinder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token(t, "github-pat")
	e.gh.answer = status(422, time.Hour)
	res, _ := e.reporter().Report(context.Background(), items(tok))
	if res[0].Report.State != store.IssuerReportPending {
		t.Fatalf("state %s, want pending", res[0].Report.State)
	}
	e.gh.answer = status(202, 0)
	e.clk.Advance(30 * time.Minute)
	res, _ = e.reporter().Report(context.Background(), items(tok))
	if res[0].Sent || len(e.gh.requests()) != 1 {
		t.Fatalf("sent before the issuer's retry time (%d requests)", len(e.gh.requests()))
	}
	if !res[0].Pending() {
		t.Errorf("result not pending: %+v", res[0])
	}
	e.clk.Advance(31 * time.Minute)
	res, _ = e.reporter().Report(context.Background(), items(tok))
	if !res[0].Sent || res[0].Report.State != store.IssuerReportAccepted || res[0].Report.Attempts != 2 {
		t.Fatalf("after the retry time: %+v, want sent, accepted, 2 attempts", res[0])
	}
}

// A process that claimed a report and died before sending it holds it for
// its lease only; the report keeps no token, so the next finder sends it.
func TestDeadClaimerLeaseRunsOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token(t, "gitlab-pat")
	_, claimed, err := e.st.ClaimIssuerReport(context.Background(), store.IssuerReport{
		Hash: tok.Hash(), Issuer: "gitlab", FormatID: "gitlab-pat", Source: "file", Location: "a:1",
	}, e.clk.Now(), 2*time.Minute)
	if err != nil || !claimed {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	res, _ := e.reporter().Report(context.Background(), items(tok))
	if res[0].Sent || len(e.gl.requests()) != 0 {
		t.Fatal("sent while another process held the report")
	}
	e.clk.Advance(2*time.Minute + time.Second)
	res, _ = e.reporter().Report(context.Background(), items(tok))
	if !res[0].Sent || len(e.gl.requests()) != 1 {
		t.Fatalf("not sent after the dead claimer's lease: %+v", res[0])
	}
}

// The process keeps within the table's hourly limit.
func TestHourlyBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	table := patterns.Issuers()
	table[0].Batch, table[0].PerHour = 1, 2
	toks := []patterns.Secret{e.token(t, "github-pat"), e.token(t, "github-pat"), e.token(t, "github-pat")}
	res, err := e.reporter(func(o *issuers.Options) { o.Issuers = table }).Report(context.Background(), items(toks...))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(e.gh.requests()); got != 2 {
		t.Fatalf("%d requests, want 2 (the hourly budget)", got)
	}
	if !res[2].Pending() || !strings.Contains(res[2].Report.Response, "requests an hour") {
		t.Fatalf("third token: %+v, want pending on the budget", res[2])
	}
}

// An issuer's answer that echoes the token is redacted before it is stored.
func TestAnswerNeverKeepsTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.token(t, "github-pat")
	e.gh.answer = func(_ int, toks []patterns.Secret) ([]issuers.Answer, error) {
		return []issuers.Answer{{Status: 400, Text: "400 bad credential " + toks[0].Reveal()}}, nil
	}
	res, _ := e.reporter().Report(context.Background(), items(tok))
	if strings.Contains(res[0].Report.Response, tok.Reveal()) {
		t.Fatal("the stored answer holds the token")
	}
	reps, err := e.st.ListIssuerReports(context.Background(), store.IssuerReportFilter{})
	if err != nil || len(reps) != 1 || strings.Contains(fmt.Sprintf("%+v", reps), tok.Reveal()) {
		t.Fatalf("stored reports %+v (%v): want one, without the token", reps, err)
	}
}

// The Resolver reports what is not ours after the next resolver ran, and
// marks the outcomes.
func TestResolverReportsOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ghp, ours := e.token(t, "github-pat"), e.token(t, "leakguard-user")
	res := &issuers.Resolver{Reporter: e.reporter(), Catalog: e.cat}
	reps := []revoker.Report{
		{Secret: ours, Source: leakguard.SourceFile, Path: "a.py", Line: 1},
		{Secret: ghp, Source: leakguard.SourceFile, Path: "b.py", Line: 2},
		{Hash: e.token(t, "github-pat").Hash(), Rule: "github-pat", Source: leakguard.SourceGitHubOrg},
	}
	outs, err := res.Resolve(context.Background(), reps, false)
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Report != nil || outs[0].Action == leakguard.ActionReported {
		t.Errorf("our token was reported to an issuer: %+v", outs[0])
	}
	if outs[1].Action != leakguard.ActionReported || outs[1].Report == nil || outs[1].Report.Location != "b.py:2" {
		t.Errorf("GitHub token: %+v, want reported from b.py:2", outs[1])
	}
	if outs[2].Report != nil {
		t.Errorf("a hash-only report was queued: %+v", outs[2])
	}
	outs, _ = res.Resolve(context.Background(), reps, false)
	if outs[1].Action != leakguard.ActionNone || outs[1].Report == nil || outs[1].Report.State != store.IssuerReportAccepted {
		t.Errorf("second resolve: %+v, want action none and the accepted report", outs[1])
	}
}

// An issuer that never answers holds a run for SendTime at most: the
// request in flight ends with it, the batches after it are not sent, and
// all stay pending for the next run.
func TestSendTimeBoundsARun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	table := patterns.Issuers()
	table[0].Batch = 1
	e.gh.answer = nil
	hung := &hangingSender{}
	toks := []patterns.Secret{e.token(t, "github-pat"), e.token(t, "github-pat"), e.token(t, "github-pat")}
	res, err := e.reporter(func(o *issuers.Options) {
		o.Issuers, o.Senders["github"], o.SendTime, o.Sleep = table, hung, 50*time.Millisecond, nil
	}).Report(context.Background(), items(toks...))
	if err != nil {
		t.Fatal(err)
	}
	if n := hung.calls.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (the others not sent once the time was up)", n)
	}
	for _, x := range res {
		if !x.Pending() || x.Sent {
			t.Errorf("%s: %+v, want pending", x.Hash.Short(), x.Report)
		}
	}
}

// hangingSender never answers: Send returns only when ctx ends.
type hangingSender struct{ calls atomic.Int32 }

func (h *hangingSender) Send(ctx context.Context, _ []patterns.Secret) ([]issuers.Answer, error) {
	h.calls.Add(1)
	<-ctx.Done()
	return nil, ctx.Err()
}
