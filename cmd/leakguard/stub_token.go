package main

import "context"

// runToken is a placeholder until its issue is built; this file is deleted then.
func runToken(context.Context, []string, IO) error { return errNotImplemented }
