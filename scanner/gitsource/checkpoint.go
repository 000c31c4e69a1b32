package gitsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// checkpoint is the file of ref tips a history scan has covered.
type checkpoint struct {
	path string
	file checkpointFile
}

// checkpointFile is the on-disk JSON form.
type checkpointFile struct {
	Version int      `json:"version"`
	Tips    []string `json:"tips"`
}

// applyCheckpoint loads the checkpoint at path and narrows revs to objects
// reachable from the current tips and not from the recorded ones (those
// still in the object database), saying so on stderr. The returned
// checkpoint, saved after a successful scan, records the current tips.
func applyCheckpoint(ctx context.Context, g Git, path string, revs Revisions, stderr io.Writer) (*checkpoint, Revisions, error) {
	cp := &checkpoint{path: path, file: checkpointFile{Version: 1, Tips: revs.Include}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "leakguard: checkpoint %s not found: scanning all history; it will record %d ref tips\n", path, len(revs.Include))
		return cp, revs, nil
	}
	if err != nil {
		return nil, revs, fmt.Errorf("checkpoint: %w", err)
	}
	var old checkpointFile
	if err := json.Unmarshal(data, &old); err != nil || old.Version != 1 {
		return nil, revs, fmt.Errorf("checkpoint %s: not a leakguard checkpoint file (version 1 JSON)", path)
	}
	known, err := existingObjects(ctx, g, old.Tips)
	if err != nil {
		return nil, revs, err
	}
	cp.file.Tips = union(revs.Include, known)
	next := Revisions{Include: newTips(revs.Include, known), Exclude: append(append([]string(nil), revs.Exclude...), known...)}
	if len(next.Include) == 0 {
		fmt.Fprintf(stderr, "leakguard: checkpoint %s: no new commits since the last scan (%d ref tips unchanged)\n", path, len(revs.Include))
	} else {
		fmt.Fprintf(stderr, "leakguard: checkpoint %s: scanning only objects reachable from %d new ref tips and not from the %d recorded ones\n", path, len(next.Include), len(known))
	}
	return cp, next, nil
}

// newTips returns the tips not already recorded.
func newTips(tips, known []string) []string {
	seen := map[string]bool{}
	for _, k := range known {
		seen[k] = true
	}
	var out []string
	for _, t := range tips {
		if !seen[t] {
			out = append(out, t)
		}
	}
	return out
}

// union returns a then the elements of b not in a.
func union(a, b []string) []string {
	out := append([]string(nil), a...)
	return append(out, newTips(b, a)...)
}

// existingObjects keeps the ids the object database still has (a recorded
// tip may have been garbage-collected after a force push).
func existingObjects(ctx context.Context, g Git, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var in strings.Builder
	for _, id := range ids {
		if !isObjectID(id) {
			return nil, fmt.Errorf("checkpoint: %q is not an object id", clip([]byte(id)))
		}
		in.WriteString(id + "\n")
	}
	out, err := g.Output(ctx, strings.NewReader(in.String()), "cat-file", "--batch-check=%(objectname) %(objecttype)")
	if err != nil {
		return nil, err
	}
	var have []string
	for _, line := range strings.Split(string(out), "\n") {
		if id, typ, ok := strings.Cut(line, " "); ok && typ != "missing" {
			have = append(have, id)
		}
	}
	return have, nil
}

func isObjectID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// save writes the checkpoint atomically (temporary file, then rename).
func (c *checkpoint) save() error {
	data, err := json.MarshalIndent(c.file, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".leakguard-checkpoint-*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("checkpoint: write %s: %w", c.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", c.path, err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
