package main

import "errors"

// errNotImplemented is returned by commands that later issues fill in.
var errNotImplemented = errors.New("not implemented yet")
