package main

import (
	"context"
	"fmt"

	"github.com/leakguard/leakguard/internal/buildinfo"
)

// version is set with -ldflags "-X main.version=v1.2.3"; otherwise the
// module version or VCS revision from the build info is used.
var version = ""

func buildVersion() string { return buildinfo.Version(version) }

func runVersion(_ context.Context, _ []string, sio IO) error {
	_, err := fmt.Fprintf(sio.Stdout, "leakguard %s\n", buildVersion())
	return err
}
