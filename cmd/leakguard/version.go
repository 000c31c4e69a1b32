package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set with -ldflags "-X main.version=v1.2.3"; otherwise the
// module version or VCS revision from the build info is used.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && (v == "" || v == "(devel)") {
			v = "devel-" + s.Value
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}

func runVersion(_ context.Context, _ []string, sio IO) error {
	_, err := fmt.Fprintf(sio.Stdout, "leakguard %s\n", buildVersion())
	return err
}
