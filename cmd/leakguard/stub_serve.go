package main

import "context"

// runServe is a placeholder until its issue is built; this file is deleted then.
func runServe(context.Context, []string, IO) error { return errNotImplemented }
