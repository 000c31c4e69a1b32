package main

import (
	"flag"
)

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
