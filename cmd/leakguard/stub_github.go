package main

import "context"

// runGitHub is a placeholder until its issue is built; this file is deleted then.
func runGitHub(context.Context, []string, IO) error { return errNotImplemented }
