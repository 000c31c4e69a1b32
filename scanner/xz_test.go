package scanner

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/leakguard/leakguard/scanner/archive"
)

// xzOf compresses data with github.com/ulikunitz/xz's writer.
func xzOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestScanXZ: .tar.xz and .xz files are opened by their magic bytes like
// the other compressors, within the same budgets.
func TestScanXZ(t *testing.T) {
	t.Parallel()
	tok := token(t, "github-pat", "LeakguardArchiveFixture0000001")
	text := []byte("# config\n  key=" + tok + "\n")
	tests := []struct {
		name     string
		files    map[string][]byte
		lim      *archive.Limits
		findings []string
		problems []string
	}{
		{name: "tar.xz", files: map[string][]byte{"rootfs.tar.xz": xzOf(t, tarOf(t, member{name: "etc/app.env", data: text}))},
			findings: []string{"rootfs.tar.xz!etc/app.env:2:7"}},
		{name: "xz", files: map[string][]byte{"app.log.xz": xzOf(t, text)}, findings: []string{"app.log.xz!app.log:2:7"}},
		{name: "truncated xz", files: map[string][]byte{"t.xz": xzOf(t, bytes.Repeat(text, 50))[:60]}, problems: []string{"t.xz"}},
		{name: "xz bomb", lim: &archive.Limits{RatioFrom: 1 << 20}, files: map[string][]byte{"zeros.xz": xzOf(t, append(text, make([]byte, 8<<20)...))},
			problems: []string{"zeros.xz: unpacking budget exceeded: 1.0 MiB unpacked from 1.4 KiB read, more than 100:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lim := tt.lim
			if lim == nil {
				lim = &archive.Limits{}
			}
			got := scanTree(t, tt.files, lim)
			if !slices.Equal(got.findings, tt.findings) || len(got.problems) != len(tt.problems) {
				t.Fatalf("findings %q, problems %q; want %q, %q", got.findings, got.problems, tt.findings, tt.problems)
			}
			for i, want := range tt.problems {
				if !strings.HasPrefix(got.problems[i], want) {
					t.Errorf("problem %q, want %q...", got.problems[i], want)
				}
			}
		})
	}
}
