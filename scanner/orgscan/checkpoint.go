package orgscan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Checkpoints keeps each repository's history-scan checkpoint (the
// gitsource checkpoint file's bytes: the ref tips already scanned).
type Checkpoints interface {
	// Load returns the checkpoint of repo, or nil when there is none.
	Load(ctx context.Context, repo string) ([]byte, error)
	// Save records the checkpoint of repo durably.
	Save(ctx context.Context, repo string, data []byte) error
}

// FileCheckpoints keeps checkpoints as files under Dir
// (Dir/checkpoints/owner/name.json), written atomically.
type FileCheckpoints struct {
	Dir string
}

func (f FileCheckpoints) path(repo string) (string, error) {
	m := Mirrors{Dir: f.Dir}
	p, err := m.Path(repo)
	if err != nil {
		return "", err
	}
	rel, _ := filepath.Rel(filepath.Join(f.Dir, "mirrors"), p)
	return filepath.Join(f.Dir, "checkpoints", rel[:len(rel)-len(".git")]+".json"), nil
}

// Load implements Checkpoints.
func (f FileCheckpoints) Load(_ context.Context, repo string) ([]byte, error) {
	p, err := f.path(repo)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", repo, err)
	}
	return data, nil
}

// Save implements Checkpoints.
func (f FileCheckpoints) Save(_ context.Context, repo string, data []byte) error {
	p, err := f.path(repo)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("checkpoint %s: %w", repo, err)
	}
	return writeFileAtomic(p, data)
}

// writeFileAtomic writes through a synced temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
