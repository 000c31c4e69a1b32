package gitsource

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leakguard/leakguard/scanner"
	"github.com/leakguard/leakguard/scanner/archive"
)

// editedHistory writes, with `git fast-import`, commits commits of random
// edits (seeded) to a few files holding tokens written plainly and
// encoded, with inline-allow markers, lines joined and split, files
// without a final newline, a binary file and a zip archive; then repacks
// it with long delta chains, so that nearly every blob is a delta.
func editedHistory(t *testing.T, seed uint64, commits int) *testRepo {
	t.Helper()
	r := newRepo(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	tok := func() string { return token(t, fmt.Sprintf("s%dn%d", seed, rng.IntN(1e9))) }
	pieces := []func() string{
		func() string { return "key = " + tok() },
		func() string { return "  token: \"" + tok() + "\" # " + scanner.MarkerLeakguard },
		func() string { return "auth: " + base64.StdEncoding.EncodeToString([]byte("user:"+tok())) },
		func() string { return "hex " + hex.EncodeToString([]byte("t="+tok())) },
		func() string {
			var b strings.Builder
			for _, c := range []byte(tok()) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
			return "q=" + b.String()
		},
		func() string {
			var b strings.Builder
			for _, c := range tok() {
				fmt.Fprintf(&b, "\\u%04x", c)
			}
			return `{"s":"` + b.String() + `"}`
		},
		func() string { return "looks like " + lookalike(tok()) },
		func() string { return "éè ünïcode " + tok() },
		func() string { return fmt.Sprintf("filler %d %s", rng.IntN(1000), strings.Repeat("x", rng.IntN(300))) },
		func() string { return "" },
	}
	line := func() string { return pieces[rng.IntN(len(pieces))]() }
	files := map[string][]string{}
	for _, name := range []string{"a.txt", "config/b.yaml", "c.json", "d.env"} {
		for range 40 + rng.IntN(40) {
			files[name] = append(files[name], line())
		}
	}
	binary := make([]byte, 3000)
	for i := range binary {
		binary[i] = byte(rng.IntN(256))
	}
	var stream bytes.Buffer
	for c := 1; c <= commits; c++ {
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter T <t@example.org> %d +0000\ndata 3\nc%d\n", 1700000000+c, c%10)
		for name, ls := range files {
			for range 1 + rng.IntN(4) {
				i := rng.IntN(len(ls) + 1)
				switch k := rng.IntN(8); {
				case k < 2 || len(ls) == 0 || i == len(ls): // insert a line
					ls = slices.Insert(ls, min(i, len(ls)), line())
				case k == 2: // delete a line
					ls = slices.Delete(ls, i, i+1)
				case k == 3 && i+1 < len(ls): // join two lines
					ls[i] += ls[i+1]
					ls = slices.Delete(ls, i+1, i+2)
				case k == 4 && len(ls[i]) > 2: // split a line
					at := rng.IntN(len(ls[i]))
					ls = slices.Insert(ls, i+1, ls[i][at:])
					ls[i] = ls[i][:at]
				case k == 5 && len(ls[i]) > 0: // change one byte
					b := []byte(ls[i])
					b[rng.IntN(len(b))] = "aZ9_=%\\ "[rng.IntN(8)]
					ls[i] = string(b)
				default: // text before or after what is there
					if rng.IntN(2) == 0 {
						ls[i] = "x " + ls[i]
					} else {
						ls[i] += " " + line()
					}
				}
			}
			files[name] = ls
			content := strings.Join(ls, "\n")
			if rng.IntN(3) > 0 {
				content += "\n"
			}
			fmt.Fprintf(&stream, "M 100644 inline %s\ndata %d\n%s\n", name, len(content), content)
		}
		binary[rng.IntN(len(binary))] = byte(rng.IntN(256))
		bin := append(append(append([]byte(nil), binary[:1000]...), tok()...), binary[1000:]...)
		fmt.Fprintf(&stream, "M 100644 inline blob.bin\ndata %d\n%s\n", len(bin), bin)
		if c%5 == 1 {
			zip := zipBlob(t, "inner/secret.txt", strings.Join(files["a.txt"][:5], "\n"))
			fmt.Fprintf(&stream, "M 100644 inline bundle.zip\ndata %d\n%s\n", len(zip), zip)
		}
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin = r.dir, &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v: %s", err, out)
	}
	r.git("repack", "-adfq", "--depth=50", "--window=50")
	return r
}

// walkedBlobs runs the pack walk over every blob of r's history and
// returns each blob's matches (those with none left out) and the
// rev-list lines it left to cat-file.
func walkedBlobs(t *testing.T, r *testRepo, archives *archive.Limits, minClean, workers int) (map[string][]scanner.Match, []byte) {
	t.Helper()
	g := Git{Dir: r.dir}.Cached()
	o := HistoryOptions{Repo: r.dir, Archives: archives}
	o.defaults()
	w, err := openPackWalker(ctx(t), g, o, blobScanner{sc: newScanner(), archives: archives}, new(HistoryStats))
	if err != nil || w == nil {
		t.Fatalf("openPackWalker: %v, %v", w, err)
	}
	defer w.close()
	w.minClean, w.workers = minClean, workers
	w.preDrain = workers > 1 // every root read while the plan runs
	listed, err := g.Output(ctx(t), nil, "rev-list", "--objects", "--all", "--filter=object:type=blob")
	if err != nil {
		t.Fatal(err)
	}
	roots, wants, rest, err := w.plan(bytes.NewReader(listed), nil)
	if err != nil {
		t.Fatal(err)
	}
	hits := make(chan hit)
	got := map[string][]scanner.Match{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for h := range hits {
			got[h.oid] = h.matches
		}
	}()
	more, err := w.walk(ctx(t), roots, wants, hits)
	close(hits)
	<-done
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	return got, append(rest, more...)
}

// TestPackWalkMatchesWholeScan: for every blob of randomly edited
// histories, the matches the pack walk finds (moved from delta bases and
// scanned where deltas changed lines) are exactly those of scanning the
// blob whole, offsets, lines, columns, encodings and allow markers
// included.
func TestPackWalkMatchesWholeScan(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			r := editedHistory(t, seed, 60)
			lim := &archive.Limits{}
			// Seeds 0 and 1 move every copied line's matches; the others
			// scan short runs of copied lines, as scans do. Seeds 1 and 3
			// walk with more workers than trees, so that nearly every
			// node with two children hands one to an idle worker, and
			// with every root read while the listing is planned.
			got, rest := walkedBlobs(t, r, lim, []int{0, 0, defaultMinClean, defaultMinClean}[seed], []int{1, 8, 1, 8}[seed])
			if len(rest) > 0 {
				t.Errorf("left to cat-file in a fully packed repository:\n%s", rest)
			}
			sc := newScanner()
			var oids []string // blobs: the lines with a path
			for _, l := range strings.Split(r.git("rev-list", "--objects", "--all", "--filter=object:type=blob"), "\n") {
				if oid, _, ok := strings.Cut(l, " "); ok {
					oids = append(oids, oid)
				}
			}
			deltas, found := 0, 0
			for _, oid := range oids {
				raw := catBlob(t, r, oid)
				var want []scanner.Match
				if err := sc.ScanBlob(raw, "", lim, func(m scanner.Match) error { want = append(want, m); return nil }); err != nil {
					t.Fatalf("ScanBlob %s: %v", oid, err)
				}
				slices.SortStableFunc(want, func(a, b scanner.Match) int { return cmp.Compare(a.Offset, b.Offset) })
				if !reflect.DeepEqual(summarise(got[oid]), summarise(want)) {
					t.Errorf("blob %s: walk found\n%v\nwhole scan\n%v", oid, summarise(got[oid]), summarise(want))
				}
				found += len(want)
			}
			for _, l := range strings.Split(r.git("verify-pack", "-v", packOf(t, r)), "\n") {
				if f := strings.Fields(l); len(f) >= 7 && f[1] == "blob" {
					deltas++
				}
			}
			t.Logf("%d blobs, %d of them deltas, %d matches", len(oids), deltas, found)
			if deltas < len(oids)/2 || found < 50 {
				t.Fatalf("a weak test: %d of %d blobs are deltas, %d matches", deltas, len(oids), found)
			}
		})
	}
}

// catBlob is a blob's content, byte for byte.
func catBlob(t *testing.T, r *testRepo, oid string) []byte {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "blob", oid)
	cmd.Dir = r.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cat-file %s: %v: %s", oid, err, stderr.String())
	}
	return out
}

// packOf is the repository's one pack file.
func packOf(t *testing.T, r *testRepo) string {
	t.Helper()
	packs, _ := filepath.Glob(filepath.Join(r.dir, ".git", "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs", len(packs))
	}
	return packs[0]
}

// matchView is what a match says, without the pointers.
type matchView struct {
	Format, Hash, Encoding, Entry string
	Offset                        int64
	Line, Column, Column16        int
	Allowed                       bool
}

func summarise(ms []scanner.Match) []matchView {
	var out []matchView
	for _, m := range ms {
		out = append(out, matchView{m.Format.ID, m.Hash, m.Encoding, m.Entry, m.Offset, m.Line, m.Column, m.Column16, m.Allowed})
	}
	return out
}

// TestPackWalkFindingsMatchCatFile: a whole history scan reports the
// same findings, attributed to the same commits, whether it walks the
// packs or reads every blob through cat-file; loose objects (commits
// made after the repack) are read through cat-file either way.
func TestPackWalkFindingsMatchCatFile(t *testing.T) {
	r := editedHistory(t, 11, 40)
	r.write("late.txt", "late "+token(t, "late")+"\n")
	r.commit("dev@example.org", "after the repack: loose objects")
	sc := newScanner()
	scan := func(catFileOnly bool) []scanner.Finding {
		fs := collect(t, func(emit func(scanner.Finding) error) error {
			return ScanHistory(ctx(t), HistoryOptions{Repo: r.dir, CatFileOnly: catFileOnly, Archives: &archive.Limits{}}, sc, emit)
		})
		slices.SortFunc(fs, func(a, b scanner.Finding) int {
			return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Commit, b.Commit), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.TokenHash, b.TokenHash))
		})
		return fs
	}
	walked, catted := scan(false), scan(true)
	if len(walked) < 20 {
		t.Fatalf("only %d findings", len(walked))
	}
	if !reflect.DeepEqual(walked, catted) {
		t.Fatalf("pack walk and cat-file disagree:\n%v\n%v", walked, catted)
	}
}

// TestPackWalkDamagedPack: a pack whose bytes were changed never makes
// the walk panic or report what is not there: each damaged object goes
// to cat-file, which reads or rejects it as git does, so both ways of
// reading end the same (the same findings, or both an error).
func TestPackWalkDamagedPack(t *testing.T) {
	r := editedHistory(t, 5, 20)
	pack := packOf(t, r)
	orig, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	sc := newScanner()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 12 {
		data := slices.Clone(orig)
		for range 1 + rng.IntN(3) {
			data[12+rng.IntN(len(data)-12-20)] ^= byte(1 + rng.IntN(255))
		}
		if err := os.WriteFile(pack, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var res [2]string
		for k, catFileOnly := range []bool{false, true} {
			var fs []scanner.Finding
			err := ScanHistory(ctx(t), HistoryOptions{Repo: r.dir, CatFileOnly: catFileOnly}, sc, func(f scanner.Finding) error { fs = append(fs, f); return nil })
			if err != nil {
				res[k] = "error"
				continue
			}
			slices.SortFunc(fs, func(a, b scanner.Finding) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			res[k] = fmt.Sprint(fs)
		}
		if res[0] != res[1] {
			t.Errorf("damage %d: walk %.300s\ncat-file %.300s", i, res[0], res[1])
		}
	}
}

// TestPlanReadsEveryLine: the plan reads rev-list's listing as it comes,
// with a path longer than its read buffer and a last line without its
// newline, and keeps each wanted line whole.
func TestPlanReadsEveryLine(t *testing.T) {
	r := editedHistory(t, 9, 5)
	g := Git{Dir: r.dir}.Cached()
	o := HistoryOptions{Repo: r.dir}
	o.defaults()
	w, err := openPackWalker(ctx(t), g, o, blobScanner{sc: newScanner()}, new(HistoryStats))
	if err != nil || w == nil {
		t.Fatalf("openPackWalker: %v, %v", w, err)
	}
	defer w.close()
	oids := strings.Fields(r.git("rev-list", "--objects", "--all", "--filter=object:type=blob", "--no-object-names"))
	if len(oids) < 2 {
		t.Fatalf("%d blobs", len(oids))
	}
	long := strings.Repeat("d/", 200_000) + "f.txt"
	ghost := strings.Repeat("0", 39) + "1 ghost.txt\n"                                                // in no pack
	listing := oids[0] + " " + long + "\n" + "0123 not-a-blob-line\n" + ghost + oids[1] + " last.txt" // no final newline
	roots, wants, rest, err := w.plan(strings.NewReader(listing), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) == 0 || len(wants) != 2 {
		t.Fatalf("%d roots, %d wanted", len(roots), len(wants))
	}
	got := map[string]string{}
	for _, n := range wants {
		for _, wt := range n.want {
			got[wt.path] = string(wt.line)
		}
	}
	if got[long] != oids[0]+" "+long+"\n" || got["last.txt"] != oids[1]+" last.txt\n" {
		t.Errorf("wanted lines not kept whole: %d of them", len(got))
	}
	if string(rest) != ghost {
		t.Errorf("left to cat-file: %q", rest)
	}
}
