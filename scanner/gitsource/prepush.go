package gitsource

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
)

// PushUpdate is one line of a pre-push hook's standard input:
// "<local ref> <local oid> <remote ref> <remote oid>".
type PushUpdate struct {
	LocalRef, LocalOID, RemoteRef, RemoteOID string
}

// ParsePushUpdates reads a pre-push hook's standard input. Blank lines are
// ignored; any other malformed line is an error.
func ParsePushUpdates(r io.Reader) ([]PushUpdate, error) {
	var out []PushUpdate
	s := bufio.NewScanner(r)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 || !isObjectID(f[1]) || !isObjectID(f[3]) {
			return nil, fmt.Errorf("pre-push: malformed update line %q", clip(s.Bytes()))
		}
		out = append(out, PushUpdate{LocalRef: f[0], LocalOID: f[1], RemoteRef: f[2], RemoteOID: f[3]})
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("pre-push: read updates: %w", err)
	}
	return out, nil
}

// isZero reports an all-zero object id (a deleted or new ref).
func isZero(oid string) bool { return strings.Trim(oid, "0") == "" }

// PushRange returns the range (ParseRange syntax) of the objects an update
// sends: "<remote>..<local>" when the remote tip is known locally, else
// "<local> --not --remotes" (a new branch, or a remote tip never fetched:
// everything not already on some remote-tracking ref). A deletion sends
// nothing: "".
func PushRange(ctx context.Context, g Git, u PushUpdate) (string, error) {
	if isZero(u.LocalOID) {
		return "", nil
	}
	if !isZero(u.RemoteOID) {
		known, err := existingObjects(ctx, g, []string{u.RemoteOID})
		if err != nil {
			return "", err
		}
		if len(known) == 1 {
			return u.RemoteOID + ".." + u.LocalOID, nil
		}
	}
	return u.LocalOID + " --not --remotes", nil
}
