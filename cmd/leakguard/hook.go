package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/leakguard/leakguard/scanjob"
	"github.com/leakguard/leakguard/scanner/gitsource"
)

// runHook is `leakguard hook install` and the hooks it installs, pre-push
// and pre-receive (usage/hook.txt).
func runHook(ctx context.Context, args []string, sio IO) error {
	if len(args) == 0 {
		return usageError("hook: want a subcommand: install [--pre-push|--pre-receive] | pre-push | pre-receive")
	}
	switch args[0] {
	case "install":
		return runHookInstall(ctx, args[1:], sio)
	case gitsource.HookPrePush, gitsource.HookPreReceive:
		return runHookPush(ctx, args[0], args[1:], sio)
	default:
		return usageError("hook: unknown subcommand %q (install, pre-push, pre-receive)", args[0])
	}
}

func runHookInstall(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("hook install", sio.Stderr)
	prePush := fs.Bool("pre-push", false, "install the pre-push hook (scans the commits being pushed) instead of pre-commit")
	preReceive := fs.Bool("pre-receive", false, "install the pre-receive hook in a (bare) server repository; arguments after -- are its scan flags")
	repo := fs.String("repo", ".", "a directory inside the repository")
	fs.Usage = func() { fmt.Fprint(sio.Stderr, usageText("hook")); fs.PrintDefaults() }
	if err := parseFlags(fs, args, sio.Getenv); err != nil {
		return err
	}
	kind := gitsource.HookPreCommit
	switch {
	case *preReceive:
		kind = gitsource.HookPreReceive
	case *prePush:
		kind = gitsource.HookPrePush
	}
	bin, err := os.Executable()
	if err != nil {
		bin = "leakguard"
	}
	rest := fs.Args() // [REPO] [-- SCAN-FLAGS...]: flag parsing stops at REPO
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		*repo, rest = rest[0], rest[1:]
		if len(rest) > 0 && rest[0] != "--" {
			return usageError("hook install: scan flags go after --: hook install --pre-receive REPO -- --db DSN")
		}
		rest = rest[min(len(rest), 1):]
	}
	res, err := gitsource.Git{Dir: *repo, BaseEnv: environOf(sio)}.InstallHook(ctx, kind, bin, rest...)
	if err != nil {
		return err
	}
	fmt.Fprintln(sio.Stdout, res.Describe(kind))
	return nil
}

// runHookPush is the pre-push and pre-receive hooks: a `leakguard scan
// --git --range` per pushed ref (gitsource.HookPushes; a pre-receive
// hook's args are its scan flags), then scanjob.Push's verdict. The exit
// status is the worst scan's, or 0 when the pusher bypassed findings.
func runHookPush(ctx context.Context, kind string, args []string, sio IO) error {
	pushes, err := gitsource.HookPushes(ctx, gitsource.Git{BaseEnv: environOf(sio)}, kind, sio.Stdin)
	if err != nil {
		return err
	}
	push, worst := scanjob.NewPush(kind, envOf(sio)), error(nil)
	for _, p := range pushes {
		err := runScanTuned(ctx, push.ScanArgs(p.Range, args), sio, push.Tune(p.Ref))
		if exitCode(err) >= exitCode(worst) {
			worst = err
		}
		if exitCode(err) == exitFindings {
			warnf(sio.Stderr, "%s: %s carries tokens", kind, p.Name)
		}
	}
	if exitCode(worst) == exitFindings && push.Verdict(sio.Stderr) {
		return nil
	}
	return worst
}
