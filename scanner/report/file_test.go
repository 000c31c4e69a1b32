package report

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name    string
		write   func(io.Writer) error
		wantErr error
		want    string // the file afterwards
	}{
		{"written", func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err }, nil, "new\n"},
		{"failed write keeps the old file", func(w io.Writer) error { _, _ = io.WriteString(w, "half"); return boom }, boom, "old\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "report.json")
			if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := WriteFile(path, tt.write); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(b), tt.want; got != want {
				t.Errorf("file %q, want %q", got, want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("%d entries in the directory, want 1 (no temporary file left)", len(ents))
			}
		})
	}
	t.Run("no such directory", func(t *testing.T) {
		t.Parallel()
		err := WriteFile(filepath.Join(t.TempDir(), "missing", "r.json"), func(io.Writer) error { return nil })
		if err == nil {
			t.Fatal("no error")
		}
	})
}
