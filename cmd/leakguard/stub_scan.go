package main

import "context"

// runScan is a placeholder until its issue is built; this file is deleted then.
func runScan(context.Context, []string, IO) error { return errNotImplemented }
