package gitsource

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RefUpdate is one line of a pre-receive hook's standard input:
// "<old oid> <new oid> <ref>". An all-zero old oid is a new ref, an
// all-zero new oid a deletion.
type RefUpdate struct {
	Old, New, Ref string
}

// ParseReceiveUpdates reads a pre-receive hook's standard input. Blank
// lines are ignored; any other malformed line is an error.
func ParseReceiveUpdates(r io.Reader) ([]RefUpdate, error) {
	var out []RefUpdate
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || !isObjectID(f[0]) || !isObjectID(f[1]) {
			return nil, fmt.Errorf("pre-receive: malformed update line %q", clip(s.Bytes()))
		}
		out = append(out, RefUpdate{Old: f[0], New: f[1], Ref: f[2]})
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("pre-receive: read updates: %w", err)
	}
	return out, nil
}

// ReceiveRange returns the range (ParseRange syntax) of the objects an
// update adds to the repository: "<new> --not --all", everything the new
// tip reaches that no ref of the repository reaches yet. In a pre-receive
// hook no ref has moved yet and the pushed objects are only in the
// quarantine directory (GIT_QUARANTINE_PATH, with GIT_OBJECT_DIRECTORY and
// GIT_ALTERNATE_OBJECT_DIRECTORIES pointing at it and at the repository's
// objects; scanEnv keeps them), so this is exactly what the push brings:
// for a new branch or tag its new commits, for a force push the rewritten
// ones, for an annotated tag the tag object and what it adds. A deletion
// adds nothing: "".
func ReceiveRange(u RefUpdate) string {
	if isZero(u.New) {
		return ""
	}
	return u.New + " --not --all"
}

// HookPush is one scan a push hook runs: the revisions one pushed ref
// sends or adds (ParseRange syntax, never "") and a name for it.
type HookPush struct {
	Ref   string // the ref updated (the remote ref, for pre-push)
	Name  string // how messages name the update ("local → remote", or Ref)
	Range string
}

// HookPushes reads the standard input of a pre-push or pre-receive hook
// (kind HookPrePush or HookPreReceive) and returns the scans its updates
// need, in order: one per ref that sends objects (PushRange) or adds them
// (ReceiveRange); deletions need none. g runs the git of PushRange.
func HookPushes(ctx context.Context, g Git, kind string, stdin io.Reader) ([]HookPush, error) {
	var out []HookPush
	if kind == HookPreReceive {
		updates, err := ParseReceiveUpdates(stdin)
		if err != nil {
			return nil, err
		}
		for _, u := range updates {
			if rng := ReceiveRange(u); rng != "" {
				out = append(out, HookPush{Ref: u.Ref, Name: u.Ref, Range: rng})
			}
		}
		return out, nil
	}
	updates, err := ParsePushUpdates(stdin)
	if err != nil {
		return nil, err
	}
	for _, u := range updates {
		rng, err := PushRange(ctx, g, u)
		if err != nil {
			return nil, err
		}
		if rng != "" {
			out = append(out, HookPush{Ref: u.RemoteRef, Name: u.LocalRef + " → " + u.RemoteRef, Range: rng})
		}
	}
	return out, nil
}

// BypassOption is the push option that accepts a push holding tokens,
// with a reason: `git push -o leakguard.allow="test fixture"`.
const BypassOption = "leakguard.allow"

// PushOptions returns the push options git gives a pre-receive hook
// (GIT_PUSH_OPTION_COUNT and GIT_PUSH_OPTION_0 … _<count-1>; only when the
// repository sets receive.advertisePushOptions). A count that is not a
// number, or absurdly large, gives none.
func PushOptions(getenv func(string) string) []string {
	n, err := strconv.Atoi(getenv("GIT_PUSH_OPTION_COUNT"))
	if err != nil || n <= 0 || n > 1000 {
		return nil
	}
	opts := make([]string, 0, n)
	for i := range n {
		opts = append(opts, getenv("GIT_PUSH_OPTION_"+strconv.Itoa(i)))
	}
	return opts
}

// Bypass returns the reason of the last BypassOption among opts ("" when
// there is none). "leakguard.allow" without a value, or with a blank one,
// is no bypass: the reason is what gets recorded.
func Bypass(opts []string) string {
	reason := ""
	for _, o := range opts {
		if v, ok := strings.CutPrefix(o, BypassOption+"="); ok {
			reason = strings.TrimSpace(v)
		}
	}
	return reason
}

// pusherVars name who pushes, in order of trust: the signer of a signed
// push, then what a hosting server sets (GitLab, Gitea/Forgejo), then
// the account the hook runs as (an ssh user on a plain git server).
var pusherVars = []string{"GIT_PUSH_CERT_SIGNER", "GL_USERNAME", "GITEA_PUSHER_NAME", "USER"}

// Pusher names who pushes, from a hook's environment; "" when nothing says.
func Pusher(getenv func(string) string) string {
	for _, k := range pusherVars {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
	}
	return ""
}
