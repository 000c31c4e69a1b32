package main

import (
	"context"
	"fmt"
	"os"

	"github.com/leakguard/leakguard/scanner/gitsource"
)

// runHook is `leakguard hook install [--pre-push] [--repo DIR]` and
// `leakguard hook pre-push [REMOTE [URL]]`, the latter being what the
// installed pre-push hook runs: it reads git's pre-push lines on stdin and
// runs `leakguard scan --git --range <range>` for every ref being pushed
// (remote..local; for a new branch the commits on no remote-tracking ref;
// deletions are skipped). Exit 1 (findings) blocks the push.
func runHook(ctx context.Context, args []string, sio IO) error {
	if len(args) == 0 {
		return usageError("hook: want a subcommand: install [--pre-push] | pre-push")
	}
	switch args[0] {
	case "install":
		return runHookInstall(ctx, args[1:], sio)
	case "pre-push":
		return runHookPrePush(ctx, sio)
	default:
		return usageError("hook: unknown subcommand %q (install, pre-push)", args[0])
	}
}

func runHookInstall(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("hook install", sio.Stderr)
	prePush := fs.Bool("pre-push", false, "install the pre-push hook (scans the commits being pushed) instead of pre-commit")
	repo := fs.String("repo", ".", "a directory inside the repository")
	if err := parseFlags(fs, args, sio.Getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("hook install: unexpected argument %q", fs.Arg(0))
	}
	kind := gitsource.HookPreCommit
	if *prePush {
		kind = gitsource.HookPrePush
	}
	bin, err := os.Executable()
	if err != nil {
		bin = "leakguard"
	}
	res, err := gitsource.Git{Dir: *repo, BaseEnv: environOf(sio)}.InstallHook(ctx, kind, bin)
	if err != nil {
		return err
	}
	switch {
	case res.Updated:
		fmt.Fprintf(sio.Stdout, "updated the leakguard %s hook at %s\n", kind, res.Path)
	case res.Chained != "":
		fmt.Fprintf(sio.Stdout, "installed the leakguard %s hook at %s; the existing hook moved to %s and runs first\n", kind, res.Path, res.Chained)
	default:
		fmt.Fprintf(sio.Stdout, "installed the leakguard %s hook at %s\n", kind, res.Path)
	}
	return nil
}

// runHookPrePush scans what each pushed ref sends with the scan command,
// returning the worst exit status.
func runHookPrePush(ctx context.Context, sio IO) error {
	updates, err := gitsource.ParsePushUpdates(sio.Stdin)
	if err != nil {
		return err
	}
	var worst error
	for _, u := range updates {
		rng, err := gitsource.PushRange(ctx, gitsource.Git{BaseEnv: environOf(sio)}, u)
		if err != nil {
			return err
		}
		if rng == "" {
			continue
		}
		err = runScan(ctx, []string{"--git", "--range", rng}, sio)
		if err != nil && exitCode(err) >= exitCode(worst) {
			worst = err
		}
		if exitCode(err) == exitFindings {
			warnf(sio.Stderr, "pre-push: %s → %s carries tokens; push blocked", u.LocalRef, u.RemoteRef)
		}
	}
	return worst
}
