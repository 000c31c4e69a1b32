package main

import (
	"context"
	"errors"
)

// errNotImplemented is returned by commands that later issues fill in.
var errNotImplemented = errors.New("not implemented yet")

func runToken(context.Context, []string, IO) error  { return errNotImplemented }
func runServe(context.Context, []string, IO) error  { return errNotImplemented }
func runHook(context.Context, []string, IO) error   { return errNotImplemented }
func runGitHub(context.Context, []string, IO) error { return errNotImplemented }
func runDemo(context.Context, []string, IO) error   { return errNotImplemented }
func runScan(context.Context, []string, IO) error   { return errNotImplemented }
