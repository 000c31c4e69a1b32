// Package buildinfo names the version of the running binary. It knows
// nothing of the project.
package buildinfo

import "runtime/debug"

// Version is set, when not empty (from -ldflags "-X ..."); else the module
// version of the build info, or "devel-<VCS revision>" for a development
// build, or "(devel)"; "unknown" without build info.
func Version(set string) string {
	if set != "" {
		return set
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
