package main

import "context"

// runDemo is a placeholder until its issue is built; this file is deleted then.
func runDemo(context.Context, []string, IO) error { return errNotImplemented }
