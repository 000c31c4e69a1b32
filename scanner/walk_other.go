//go:build !linux

package scanner

import "context"

// streamTree is the one-worker streaming walk of walk_linux.go; elsewhere
// ScanPaths lists the tree first and then scans it.
func (s *Scanner) streamTree(context.Context, string, WalkOptions, func(Finding) error) (bool, int, error) {
	return false, 0, nil
}
