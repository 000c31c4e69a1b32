package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakguard/leakguard/store"
)

// reportLease is the lease of every claim in the issuer report cases.
const reportLease = time.Minute

// newReport returns a report for the hash of a freshly generated token
// (one the canary then looks for), first seen at src.
func (h *harness) newReport(issuer, src string) store.IssuerReport {
	h.t.Helper()
	_, sec := h.newToken()
	return store.IssuerReport{Hash: sec.Hash(), Issuer: issuer, FormatID: issuer + "_pat",
		Source: "scan/" + src, Location: src + ":12"}
}

// claimReport claims r at now and fails the test on an error.
func (h *harness) claimReport(r store.IssuerReport, now time.Time) (store.IssuerReport, bool) {
	h.t.Helper()
	cur, claimed, err := h.s.ClaimIssuerReport(h.ctx, r, now, reportLease)
	if err != nil {
		h.t.Fatalf("ClaimIssuerReport(%.12s at %v): %v", r.Hash, now, err)
	}
	return cur, claimed
}

// answerReport answers the report of hash and fails the test on an error.
func (h *harness) answerReport(hash string, st store.IssuerReportState, resp string, at, retryAt time.Time) store.IssuerReport {
	h.t.Helper()
	cur, err := h.s.AnswerIssuerReport(h.ctx, hash, st, resp, at, retryAt)
	if err != nil {
		h.t.Fatalf("AnswerIssuerReport(%.12s, %s): %v", hash, st, err)
	}
	return cur
}

// sameReport reports whether two reports are equal, comparing times with
// Equal.
func sameReport(a, b store.IssuerReport) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) || !a.LeaseUntil.Equal(b.LeaseUntil) ||
		!sameTime(a.LastAttempt, b.LastAttempt) || !sameTime(a.AnsweredAt, b.AnsweredAt) {
		return false
	}
	a.CreatedAt, a.LeaseUntil, a.LastAttempt, a.AnsweredAt = time.Time{}, time.Time{}, nil, nil
	b.CreatedAt, b.LeaseUntil, b.LastAttempt, b.AnsweredAt = time.Time{}, time.Time{}, nil, nil
	return a == b
}

// fmtReport renders a report for failure messages.
func fmtReport(r store.IssuerReport) string {
	opt := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return t.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("{%.12s %s/%s %s@%s %s attempts=%d resp=%q created=%s last=%s answered=%s lease=%s}",
		r.Hash, r.Issuer, r.FormatID, r.Source, r.Location, r.State, r.Attempts, r.Response,
		r.CreatedAt.Format(time.RFC3339Nano), opt(r.LastAttempt), opt(r.AnsweredAt), r.LeaseUntil.Format(time.RFC3339Nano))
}

// testIssuerReportClaimNew checks every field of a new report, as claimed
// and as listed.
func testIssuerReportClaimNew(t *testing.T, h *harness) {
	r := h.newReport("github", "src/app.py")
	r.State, r.Attempts, r.Response = store.IssuerReportAccepted, 7, "ignored" // the store sets these
	cur, claimed := h.claimReport(r, base())
	want := store.IssuerReport{Hash: r.Hash, Issuer: "github", FormatID: "github_pat", Source: r.Source,
		Location: r.Location, State: store.IssuerReportPending, CreatedAt: base(), LeaseUntil: base().Add(reportLease)}
	if !claimed || !sameReport(cur, want) {
		t.Errorf("claim of a new hash = %s, claimed %v; want %s, claimed", fmtReport(cur), claimed, fmtReport(want))
	}
	got, err := h.s.ListIssuerReports(h.ctx, store.IssuerReportFilter{})
	if err != nil || len(got) != 1 || !sameReport(got[0], want) {
		t.Errorf("ListIssuerReports = %v, %v; want the one report %s", got, err, fmtReport(want))
	}
}

// reportStep is one call in an issuer report scenario: a claim at (with
// the report first seen at src), or an answer at with state and retry.
type reportStep struct {
	name  string
	op    string        // "claim" or "answer"
	at    time.Duration // claim's now or answer's at, after base()
	src   string        // claim: where the token was seen this time
	state store.IssuerReportState
	retry time.Duration // answer: retryAt after base(); 0: none
	// claimed is what a claim must return.
	claimed bool
	// same: the step must return the row the step before returned.
	same bool
	want reportWant
}

// reportWant is what a step's returned report must show.
type reportWant struct {
	state    store.IssuerReportState
	attempts int
	lease    time.Duration // LeaseUntil after base()
	src      string        // Location of the first claim
	answered bool          // AnsweredAt set
}

func testIssuerReportScenarios(t *testing.T, h *harness) {
	pending, accepted := store.IssuerReportPending, store.IssuerReportAccepted
	m := time.Minute
	cases := []struct {
		name  string
		steps []reportStep
	}{
		{"claim while leased is refused", []reportStep{
			{name: "first", op: "claim", src: "a", claimed: true, want: reportWant{pending, 0, m, "a", false}},
			{name: "second", op: "claim", at: 30 * time.Second, src: "b", same: true, want: reportWant{pending, 0, m, "a", false}},
			{name: "edge", op: "claim", at: m - time.Microsecond, src: "b", same: true, want: reportWant{pending, 0, m, "a", false}},
		}},
		{"claim after the lease takes over, attempts kept", []reportStep{
			{name: "first", op: "claim", src: "a", claimed: true, want: reportWant{pending, 0, m, "a", false}},
			{name: "throttled", op: "answer", at: 10 * time.Second, state: pending, retry: 20 * time.Second, want: reportWant{pending, 1, 20 * time.Second, "a", false}},
			{name: "retry", op: "claim", at: 20 * time.Second, src: "b", claimed: true, want: reportWant{pending, 1, 20*time.Second + m, "a", false}},
			{name: "holder died", op: "claim", at: 20*time.Second + m, src: "c", claimed: true, want: reportWant{pending, 1, 20*time.Second + 2*m, "a", false}},
		}},
		{"pending answer defers the next claim to retryAt", []reportStep{
			{name: "first", op: "claim", src: "a", claimed: true, want: reportWant{pending, 0, m, "a", false}},
			{name: "throttled", op: "answer", at: time.Second, state: pending, retry: 10 * m, want: reportWant{pending, 1, 10 * m, "a", false}},
			{name: "after the lease, before retryAt", op: "claim", at: 10*m - time.Microsecond, src: "b", same: true, want: reportWant{pending, 1, 10 * m, "a", false}},
			{name: "at retryAt", op: "claim", at: 10 * m, src: "b", claimed: true, want: reportWant{pending, 1, 11 * m, "a", false}},
		}},
		{"pending answer without retryAt frees the report at once", []reportStep{
			{name: "first", op: "claim", src: "a", claimed: true, want: reportWant{pending, 0, m, "a", false}},
			{name: "failed", op: "answer", at: time.Second, state: pending, want: reportWant{pending, 1, time.Second, "a", false}},
			{name: "again", op: "claim", at: time.Second, src: "b", claimed: true, want: reportWant{pending, 1, time.Second + m, "a", false}},
		}},
		{"accepted is final", []reportStep{
			{name: "first", op: "claim", src: "a", claimed: true, want: reportWant{pending, 0, m, "a", false}},
			{name: "accepted", op: "answer", at: time.Second, state: accepted, want: reportWant{accepted, 1, time.Second, "a", true}},
			{name: "later claim", op: "claim", at: 24 * time.Hour, src: "b", same: true, want: reportWant{accepted, 1, time.Second, "a", true}},
			{name: "answer on final", op: "answer", at: 25 * time.Hour, state: store.IssuerReportRejected, same: true, want: reportWant{accepted, 1, time.Second, "a", true}},
			{name: "pending answer on final", op: "answer", at: 26 * time.Hour, state: pending, same: true, want: reportWant{accepted, 1, time.Second, "a", true}},
		}},
		{"already invalid is final", []reportStep{
			{name: "first", op: "claim", src: "a", claimed: true, want: reportWant{pending, 0, m, "a", false}},
			{name: "401", op: "answer", at: time.Second, state: store.IssuerReportAlreadyInvalid, want: reportWant{store.IssuerReportAlreadyInvalid, 1, time.Second, "a", true}},
			{name: "later claim", op: "claim", at: time.Hour, src: "b", same: true, want: reportWant{store.IssuerReportAlreadyInvalid, 1, time.Second, "a", true}},
		}},
		{"rejected is final", []reportStep{
			{name: "first", op: "claim", src: "a", claimed: true, want: reportWant{pending, 0, m, "a", false}},
			{name: "throttled", op: "answer", at: time.Second, state: pending, want: reportWant{pending, 1, time.Second, "a", false}},
			{name: "retry", op: "claim", at: 2 * time.Second, src: "b", claimed: true, want: reportWant{pending, 1, 2*time.Second + m, "a", false}},
			{name: "422", op: "answer", at: 3 * time.Second, state: store.IssuerReportRejected, want: reportWant{store.IssuerReportRejected, 2, 3 * time.Second, "a", true}},
			{name: "later claim", op: "claim", at: time.Hour, src: "c", same: true, want: reportWant{store.IssuerReportRejected, 2, 3 * time.Second, "a", true}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runReportSteps(t, h, h.newReport("gitlab", "a").Hash, c.steps)
		})
	}
}

// runReportSteps runs a scenario's steps on one hash in order.
func runReportSteps(t *testing.T, h *harness, hash string, steps []reportStep) {
	t.Helper()
	var prev store.IssuerReport
	for _, st := range steps {
		var cur store.IssuerReport
		switch st.op {
		case "claim":
			r := store.IssuerReport{Hash: hash, Issuer: "gitlab", FormatID: "gitlab_pat", Source: "scan/" + st.src, Location: st.src}
			var claimed bool
			cur, claimed = h.claimReport(r, after(st.at))
			if claimed != st.claimed {
				t.Errorf("%s: claimed = %v, want %v (row %s)", st.name, claimed, st.claimed, fmtReport(cur))
			}
		case "answer":
			var retry time.Time
			if st.retry != 0 {
				retry = after(st.retry)
			}
			cur = h.answerReport(hash, st.state, "answer to "+st.name, after(st.at), retry)
		}
		if st.same && !sameReport(cur, prev) {
			t.Errorf("%s: row changed:\n %s, want\n %s", st.name, fmtReport(cur), fmtReport(prev))
		}
		checkReportStep(t, st, cur)
		prev = cur
	}
}

// checkReportStep compares a step's returned report with st.want.
func checkReportStep(t *testing.T, st reportStep, cur store.IssuerReport) {
	t.Helper()
	w := st.want
	if cur.State != w.state || cur.Attempts != w.attempts || !cur.LeaseUntil.Equal(after(w.lease)) ||
		cur.Location != w.src || cur.Source != "scan/"+w.src || (cur.AnsweredAt != nil) != w.answered ||
		cur.Issuer != "gitlab" || cur.FormatID != "gitlab_pat" || !cur.CreatedAt.Equal(base()) {
		t.Errorf("%s: row %s, want state %s, attempts %d, lease until +%v, first seen at %s, answered %v",
			st.name, fmtReport(cur), w.state, w.attempts, w.lease, w.src, w.answered)
	}
	if st.op == "answer" && !st.same {
		if cur.LastAttempt == nil || !cur.LastAttempt.Equal(after(st.at)) || cur.Response != "answer to "+st.name {
			t.Errorf("%s: answer not recorded: %s", st.name, fmtReport(cur))
		}
		if w.answered && !cur.AnsweredAt.Equal(after(st.at)) {
			t.Errorf("%s: AnsweredAt = %v, want %v", st.name, cur.AnsweredAt, after(st.at))
		}
	}
}

// testIssuerReportConcurrentClaims races claimers on a new hash, then on
// the same hash once its lease ended: each time exactly one wins.
func testIssuerReportConcurrentClaims(t *testing.T, h *harness) {
	r := h.newReport("github", "src/race.go")
	for _, now := range []time.Time{base(), base().Add(reportLease)} {
		const claimers = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for i := 0; i < claimers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cur, claimed, err := h.s.ClaimIssuerReport(h.ctx, r, now, reportLease)
				if err != nil {
					t.Errorf("ClaimIssuerReport: %v", err)
					return
				}
				if !cur.LeaseUntil.Equal(now.Add(reportLease)) {
					t.Errorf("claim at %v returned lease %v, want the winner's %v", now, cur.LeaseUntil, now.Add(reportLease))
				}
				if claimed {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Errorf("%d concurrent claims at %v: %d claimed, want exactly 1", claimers, now, wins)
		}
	}
}

func testIssuerReportList(t *testing.T, h *harness) {
	add := func(issuer string, at time.Duration, final store.IssuerReportState) string {
		r := h.newReport(issuer, "f")
		h.claimReport(r, after(at))
		if final != "" {
			h.answerReport(r.Hash, final, "done", after(at+time.Second), time.Time{})
		}
		return r.Hash
	}
	gh1 := add("github", 2*time.Second, store.IssuerReportAccepted)
	gl1 := add("gitlab", time.Second, "")
	gh2 := add("github", 3*time.Second, "")
	gl2 := add("gitlab", 3*time.Second, store.IssuerReportAlreadyInvalid)
	tied := sortStrings([]string{gh2, gl2}) // same CreatedAt: by hash
	cases := []struct {
		name string
		f    store.IssuerReportFilter
		want []string
	}{
		{"all, by created then hash", store.IssuerReportFilter{}, []string{gl1, gh1, tied[0], tied[1]}},
		{"issuer", store.IssuerReportFilter{Issuer: "github"}, []string{gh1, gh2}},
		{"state", store.IssuerReportFilter{State: store.IssuerReportPending}, []string{gl1, gh2}},
		{"issuer and state", store.IssuerReportFilter{Issuer: "gitlab", State: store.IssuerReportAlreadyInvalid}, []string{gl2}},
		{"limit", store.IssuerReportFilter{Limit: 2}, []string{gl1, gh1}},
		{"state and limit", store.IssuerReportFilter{State: store.IssuerReportPending, Limit: 1}, []string{gl1}},
		{"unknown issuer", store.IssuerReportFilter{Issuer: "bitbucket"}, nil},
		{"no rejected", store.IssuerReportFilter{State: store.IssuerReportRejected}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := h.s.ListIssuerReports(h.ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var hashes []string
			for _, r := range got {
				hashes = append(hashes, r.Hash)
			}
			if g, w := fmt.Sprint(hashes), fmt.Sprint(c.want); g != w {
				t.Errorf("ListIssuerReports(%+v) =\n %s, want\n %s", c.f, g, w)
			}
		})
	}
}

func testIssuerReportErrors(t *testing.T, h *harness) {
	_, sec := h.newToken()
	plain := sec.Reveal()
	good := h.newReport("github", "x")
	with := func(fn func(r *store.IssuerReport)) store.IssuerReport { r := good; fn(&r); return r }
	claims := []struct {
		name  string
		r     store.IssuerReport
		lease time.Duration
	}{
		{"no hash", with(func(r *store.IssuerReport) { r.Hash = "" }), reportLease},
		{"plaintext as hash", with(func(r *store.IssuerReport) { r.Hash = plain }), reportLease},
		{"upper-case hash", with(func(r *store.IssuerReport) { r.Hash = strings.ToUpper(r.Hash) }), reportLease},
		{"short hash", with(func(r *store.IssuerReport) { r.Hash = r.Hash[:63] }), reportLease},
		{"no issuer", with(func(r *store.IssuerReport) { r.Issuer = "" }), reportLease},
		{"no format id", with(func(r *store.IssuerReport) { r.FormatID = "" }), reportLease},
		{"control character in location", with(func(r *store.IssuerReport) { r.Location = "a\x00b" }), reportLease},
		{"zero lease", good, 0},
		{"negative lease", good, -time.Second},
	}
	for _, c := range claims {
		t.Run("claim/"+c.name, func(t *testing.T) {
			_, claimed, err := h.s.ClaimIssuerReport(h.ctx, c.r, base(), c.lease)
			if !isErr(err, store.ErrInvalid) || claimed {
				t.Errorf("claimed %v, err = %v; want ErrInvalid", claimed, err)
			}
			if err != nil && strings.Contains(err.Error(), plain) {
				t.Error("error message contains the plaintext token")
			}
		})
	}
	if got, err := h.s.ListIssuerReports(h.ctx, store.IssuerReportFilter{}); err != nil || len(got) != 0 {
		t.Errorf("ListIssuerReports after invalid claims = %d reports, %v; want none", len(got), err)
	}
	h.claimReport(good, base())
	answers := []struct {
		name  string
		hash  string
		state store.IssuerReportState
		want  error
	}{
		{"unknown state", good.Hash, "done", store.ErrInvalid},
		{"empty state", good.Hash, "", store.ErrInvalid},
		{"plaintext as hash", plain, store.IssuerReportAccepted, store.ErrInvalid},
		{"unknown hash", sec.Hash(), store.IssuerReportAccepted, store.ErrNotFound},
	}
	for _, c := range answers {
		t.Run("answer/"+c.name, func(t *testing.T) {
			_, err := h.s.AnswerIssuerReport(h.ctx, c.hash, c.state, "x", after(time.Second), time.Time{})
			if !isErr(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), plain) {
				t.Error("error message contains the plaintext token")
			}
		})
	}
	for _, f := range []store.IssuerReportFilter{{Limit: -1}, {State: "done"}, {Issuer: "git\nhub"}} {
		if _, err := h.s.ListIssuerReports(h.ctx, f); !isErr(err, store.ErrInvalid) {
			t.Errorf("ListIssuerReports(%+v) err = %v, want ErrInvalid", f, err)
		}
	}
	got, err := h.s.ListIssuerReports(h.ctx, store.IssuerReportFilter{})
	if err != nil || len(got) != 1 || got[0].State != store.IssuerReportPending || got[0].Attempts != 0 {
		t.Errorf("after invalid answers: %v, %v; want the claimed report untouched", got, err)
	}
}
