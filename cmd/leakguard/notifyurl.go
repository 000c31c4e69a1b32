package main

import (
	"flag"

	"github.com/leakguard/leakguard/webhook"
)

// checkNotifyURL checks --notify-url, where signed events are POSTed, with
// the rule of every URL leakguard sends something worth protecting to
// (webhook.CheckServerURL): an absolute http(s) URL with a host and no
// credentials, plain http only to a loopback host unless allowHTTP
// (--notify-allow-http).
func checkNotifyURL(raw string, allowHTTP bool) error {
	if _, err := webhook.CheckServerURL(raw, allowHTTP); err != nil {
		return usageError("--notify-url: %v (accepted: an https URL, or plain http to a loopback host "+
			"127.0.0.0/8, ::1 or localhost, or to any host with --notify-allow-http)", err)
	}
	return nil
}

// notifySecretEnv is --notify-secret's environment twin, the way to pass
// the secret without showing it in process listings.
var notifySecretEnv = envName("notify-secret")

// parseServeFlags is parseFlags for serve, reporting also whether
// --notify-secret was given on the command line rather than through its
// environment twin.
func parseServeFlags(fs *flag.FlagSet, args []string, getenv func(string) string) (secretInArgs bool, err error) {
	withoutSecret := func(k string) string {
		if k == notifySecretEnv {
			return ""
		}
		return getenv(k)
	}
	if err := parseFlags(fs, args, withoutSecret); err != nil {
		return false, err
	}
	fs.Visit(func(f *flag.Flag) { secretInArgs = secretInArgs || f.Name == "notify-secret" })
	if !secretInArgs {
		if v := getenv(notifySecretEnv); v != "" {
			if err := fs.Set("notify-secret", v); err != nil {
				return false, usageError("environment %s: %v", notifySecretEnv, err)
			}
		}
	}
	return secretInArgs, nil
}
