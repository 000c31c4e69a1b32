package main

import (
	"flag"
	"time"

	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
)

// This file holds the wiring that serve, token, scan and the github
// commands share. Flags whose help text differs per command stay declared
// in their command's file; only the logic behind them lives here.

// expiryFlags are the expiry-policy flags of serve and token.
type expiryFlags struct {
	defaultExpiry, maxExpiry string
	allowNever               bool
}

// register adds --default-expiry, --max-expiry (with the command's help
// text maxHelp) and --allow-never to fs.
func (o *expiryFlags) register(fs *flag.FlagSet, maxHelp string) {
	fs.StringVar(&o.defaultExpiry, "default-expiry", "90d", "expiry when none is asked: `DURATION` (24h, 90d) or never")
	fs.StringVar(&o.maxExpiry, "max-expiry", "365d", maxHelp)
	fs.BoolVar(&o.allowNever, "allow-never", false, "allow tokens that never expire")
}

// policy builds the expiry policy from the flags (lifecycle.ParsePolicy);
// an empty --default-expiry stands for emptyDefault.
func (o *expiryFlags) policy(emptyDefault time.Duration) (lifecycle.Policy, error) {
	p, err := lifecycle.ParsePolicy(o.defaultExpiry, o.maxExpiry, o.allowNever, emptyDefault)
	if err != nil {
		return p, usageError("--default-expiry %q, --max-expiry %q, --allow-never=%v: %v", o.defaultExpiry, o.maxExpiry, o.allowNever, err)
	}
	return p, nil
}

// loadCatalog is the token-format catalog of a --config file, else the
// default one, and the scopes it allows tokens (nil: any).
func loadCatalog(config string) (*patterns.Catalog, []string, error) {
	if config == "" {
		return patterns.Default(), nil, nil
	}
	cfg, err := patterns.LoadConfig(config)
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	cat, err := cfg.Catalog()
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	return cat, cfg.Scopes.Allowed, nil
}

// environOf is the base environment of git subprocesses: sio.Environ's,
// or nil (the process's) when it has none.
func environOf(sio IO) []string {
	if sio.Environ == nil {
		return nil
	}
	return sio.Environ()
}

// envOf is sio's environment lookup; a nil Getenv reads an empty
// environment.
func envOf(sio IO) func(string) string {
	if sio.Getenv == nil {
		return func(string) string { return "" }
	}
	return sio.Getenv
}
