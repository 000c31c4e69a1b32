package gitsource

import (
	"archive/zip"
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/archive"
)

// zipBlob is a zip of the files (name, content, ...).
func zipBlob(t *testing.T, files ...string) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		f, err := w.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(files[i+1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestScanHistoryArchives: a zip committed to history, holding a jar that
// holds a token, is opened and the finding attributed to its commit at
// the "!" path; without Archives the blob is bytes; a corrupt archive in
// history is a problem told to OnProblem, and the scan goes on (or, with
// no OnProblem, fails).
func TestScanHistoryArchives(t *testing.T) {
	t.Parallel()
	tok := token(t, "inajar")
	r := newRepo(t)
	jar := zipBlob(t, "application.properties", "a=1\ngithub.token="+tok+"\n")
	r.write("dist/site.zip", zipBlob(t, "lib/app.jar", jar))
	c1 := r.commit("a@example.org", "add the site")
	r.write("broken.zip", jar[:40])
	r.commit("b@example.org", "a broken zip")

	run := func(o HistoryOptions) ([]string, []string, error) {
		var got, problems []string
		o.Repo = r.dir
		if o.OnProblem == nil && o.Archives != nil {
			o.OnProblem = func(path string, err error) { problems = append(problems, path) }
		}
		err := ScanHistory(ctx(t), o, newScanner(), func(f scanner.Finding) error {
			got = append(got, fmt.Sprintf("%s:%d %s", f.Path, f.Line, f.Commit))
			return nil
		})
		slices.Sort(problems)
		return got, problems, err
	}
	got, problems, err := run(HistoryOptions{Archives: &archive.Limits{}})
	want := []string{"dist/site.zip!lib/app.jar!application.properties:2 " + c1}
	if err != nil || !slices.Equal(got, want) || !slices.Equal(problems, []string{"broken.zip"}) {
		t.Fatalf("got %q, problems %q, err %v; want %q and broken.zip", got, problems, err, want)
	}
	if got, _, err := run(HistoryOptions{}); err != nil || len(got) != 0 {
		t.Errorf("without Archives: %q, %v; want nothing", got, err)
	}
	fail := HistoryOptions{Archives: &archive.Limits{}, OnProblem: nil}
	fail.Repo = r.dir
	err = ScanHistory(ctx(t), fail, newScanner(), func(scanner.Finding) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "broken.zip") {
		t.Errorf("no OnProblem: err %v, want the broken zip's problem", err)
	}
}
