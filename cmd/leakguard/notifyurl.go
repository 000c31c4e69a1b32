package main

import (
	"flag"
	"slices"
)

// secretFlags are serve's flags that carry a secret: each is better set
// through its environment twin, which keeps it out of process listings.
var secretFlags = []string{"notify-secret", "gitlab-revocation-token"}

// parseServeFlags is parseFlags for serve, reporting also which secret
// flags were given on the command line rather than through their
// environment twins.
func parseServeFlags(fs *flag.FlagSet, args []string, getenv func(string) string) (secretInArgs []string, err error) {
	secretEnv := func(k string) bool {
		return slices.ContainsFunc(secretFlags, func(f string) bool { return envName(f) == k })
	}
	withoutSecrets := func(k string) string {
		if secretEnv(k) {
			return ""
		}
		return getenv(k)
	}
	if err := parseFlags(fs, args, withoutSecrets); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range secretFlags {
		if set[name] {
			secretInArgs = append(secretInArgs, name)
		} else if v := getenv(envName(name)); v != "" {
			if err := fs.Set(name, v); err != nil {
				return nil, usageError("environment %s: %v", envName(name), err)
			}
		}
	}
	return secretInArgs, nil
}
