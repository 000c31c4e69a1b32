package scanjob

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/scanner/gitsource"
	"github.com/leakguard/leakguard/scanner/report"
)

// Push is what a push hook adds to the scans it runs, one per pushed ref
// (gitsource.HookPushes). For a pre-receive hook (server side) it names
// the repository and the pusher, and carries the pusher's bypass: a token
// of ours in the push is revoked (with Options.Revoke) as leaked by the
// push, "leaked: git push <repo> <ref>"; with a bypass nothing is revoked
// and, when the resolver records bypasses (revoker.BypassRecorder: a --db
// store or a --server), each token of ours found gets a leak_reported
// event naming the pusher and the reason.
type Push struct {
	Kind   string // gitsource.HookPrePush or gitsource.HookPreReceive
	Repo   string // the repository pushed to (pre-receive: the hook's working directory)
	Ref    string // the ref the scan covers (set per scan by Tune)
	Pusher string // who pushes ("" = unknown; gitsource.Pusher)
	Bypass string // the reason of a bypass (gitsource.Bypass); "" = none
}

// NewPush is the push of a hook of kind, from its environment: for a
// pre-receive hook the repository (the working directory git runs it
// in), the pusher and the bypass push option.
func NewPush(kind string, getenv func(string) string) *Push {
	p := &Push{Kind: kind}
	if kind != gitsource.HookPreReceive {
		return p
	}
	p.Repo, _ = os.Getwd()
	p.Pusher = gitsource.Pusher(getenv)
	p.Bypass = gitsource.Bypass(gitsource.PushOptions(getenv))
	return p
}

// ScanArgs are the arguments of `leakguard scan` for one pushed range:
// --git --range rng, then, for a pre-receive hook, the scan flags the
// hook was given (args). A pre-push hook's args are the remote's name
// and URL, not flags: they are dropped.
func (p *Push) ScanArgs(rng string, args []string) []string {
	out := []string{"--git", "--range", rng}
	if p.Kind == gitsource.HookPreReceive {
		out = append(out, args...)
	}
	return out
}

// Tune returns what the scan of ref changes in a job's options: nil for
// a pre-push hook (a plain history scan), else the push, the pusher as
// the actor of revocations and events, and no revocation with a bypass.
func (p *Push) Tune(ref string) func(*Options) {
	if p.Kind != gitsource.HookPreReceive {
		return nil
	}
	return func(o *Options) {
		q := *p
		q.Ref = ref
		o.Push, o.Actor = &q, "pre-receive:"+q.pusher()
		if q.Bypass != "" {
			o.Revoke = false
		}
	}
}

func (p *Push) pusher() string {
	if p.Pusher == "" {
		return "unknown"
	}
	return p.Pusher
}

// location is where a revocation says the tokens leaked: "push <repo> <ref>".
func (p *Push) location() string { return "push " + p.Repo + " " + p.Ref }

// Verdict writes what the hook tells the pusher once every ref is
// scanned and some held tokens, and returns whether the push goes ahead
// all the same (a pre-receive bypass). Git shows a pre-receive hook's
// output to the pusher, each line prefixed with "remote: ".
func (p *Push) Verdict(w io.Writer) (accept bool) {
	say := func(format string, a ...any) {
		fmt.Fprintf(w, "leakguard: %s\n", report.Escape(patterns.Default().RedactTokens(fmt.Sprintf(format, a...))))
	}
	switch {
	case p.Kind != gitsource.HookPreReceive:
		say("push blocked: remove the tokens above from the commits being pushed (and rotate them)")
		return false
	case p.Bypass != "":
		say("push accepted: tokens found, let through by %s with the reason %q (push option %s)", p.pusher(), p.Bypass, gitsource.BypassOption)
		return true
	}
	say("push rejected: it adds the tokens above (path:line:column, rule, redacted token, hash, status, commit)")
	say("to proceed:")
	say("  - rotate each token: it has left your machine; revoke it and use a new one")
	say("  - remove it from every pushed commit, not only the last: edit the file, then git commit --amend, or git rebase -i for an older commit; push again")
	say("  - or, when it is no secret (a test fixture), push with a reason, which is recorded: git push -o %s=\"<reason>\"", gitsource.BypassOption)
	return false
}

// recordBypass records a pre-receive bypass on each token of ours that
// res resolved (outs), by hash, through res as a revoker.BypassRecorder:
// the revoker over a --db store, or the --server's client (POST
// /v1/tokens/bypasses). Each token gets one leak_reported event naming
// the pusher, the reason and the push (revoker.BypassDetail) — the
// store's audit trail is per token, so there is no place for an event
// about the push itself. A resolver that records nothing says so.
func (j *Job) recordBypass(ctx context.Context, res revoker.Resolver, outs []revoker.Outcome) {
	p := j.o.Push
	rec, ok := res.(revoker.BypassRecorder)
	if !ok {
		j.o.warn("bypass by %s not recorded: no token store or server records it", p.pusher())
		return
	}
	n := 0
	for _, o := range outs {
		if !o.Ours {
			continue
		}
		got, err := rec.RecordBypass(ctx, revoker.Bypass{Hash: string(o.Hash), Source: leakguard.SourceGit,
			Repository: p.Repo, Ref: p.Ref, Pusher: p.pusher(), Reason: p.Bypass, Actor: j.o.Actor})
		if err != nil {
			j.Errorf("token store: record the bypass on %s: %v", o.Hash.Short(), err)
			continue
		}
		if got.Recorded {
			n++
		}
	}
	j.o.warn("bypass by %s recorded on %d %s of ours (leak_reported events)", p.pusher(), n, plural(n, "token"))
}

// warn shows an informational line through Warn, escaped.
func (o Options) warn(format string, a ...any) {
	if o.Warn != nil {
		o.Warn(report.Escape(fmt.Sprintf(format, a...)))
	}
}

// bypassed reports a pre-receive scan whose push the pusher let through.
func (o Options) bypassed() bool { return o.Push != nil && o.Push.Bypass != "" }

// pushReports points reports at the push, when there is one: a revocation
// then says "leaked: git push <repo> <ref>".
func (o Options) pushReports(reps []revoker.Report) []revoker.Report {
	if o.Push == nil || o.Push.Kind != gitsource.HookPreReceive {
		return reps
	}
	for i := range reps {
		reps[i].URL = o.Push.location()
	}
	return reps
}
