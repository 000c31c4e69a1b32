package gitpack

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gitRepo makes a repository with versions of a few files, repacked with
// long delta chains, and returns its one pack file.
func gitRepo(t testing.TB, objectFormat string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	run := func(stdin []byte, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		cmd.Stdin = bytes.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	run(nil, "init", "-q", "--object-format="+objectFormat, "-b", "main")
	var stream bytes.Buffer
	lines := []string{}
	for c := 1; c <= 40; c++ {
		lines = append(lines, fmt.Sprintf("line %d %s", c, strings.Repeat("abc", c%17)))
		if c%3 == 0 {
			lines[c/2] = "changed " + lines[c/2]
		}
		content := strings.Join(lines, "\n") + "\n"
		big := strings.Repeat(content, 40) // copies of more than 64 KiB
		fmt.Fprintf(&stream, "commit refs/heads/main\ncommitter T <t@example.org> %d +0000\ndata 2\nc\n", 1700000000+c)
		fmt.Fprintf(&stream, "M 100644 inline a.txt\ndata %d\n%s\n", len(content), content)
		fmt.Fprintf(&stream, "M 100644 inline big.txt\ndata %d\n%s\n", len(big), big)
	}
	run(stream.Bytes(), "fast-import", "--quiet")
	run(nil, "repack", "-adfq", "--depth=50", "--window=50")
	packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs", len(packs))
	}
	return packs[0]
}

// read rebuilds the object at off, resolving its delta chain.
func read(p *Pack, off int64, depth int) (Type, []byte, error) {
	if depth > 100 {
		return 0, nil, fmt.Errorf("chain too deep")
	}
	o, err := p.Object(off)
	if err != nil {
		return 0, nil, err
	}
	data, err := p.Inflate(o, nil, 1<<24)
	if err != nil {
		return 0, nil, err
	}
	if o.Type != OfsDelta && o.Type != RefDelta {
		return o.Type, data, nil
	}
	base := o.Base
	if o.Type == RefDelta {
		var ok bool
		if base, ok = p.Find(o.BaseOID); !ok {
			return 0, nil, fmt.Errorf("base not in pack")
		}
	}
	t, b, err := read(p, base, depth+1)
	if err != nil {
		return 0, nil, err
	}
	d, err := ParseDelta(data)
	if err != nil {
		return 0, nil, err
	}
	out, err := d.Apply(b, nil, nil)
	return t, out, err
}

// TestPackReadsWhatGitReads: every object of real packs (SHA-1 and
// SHA-256), found through the index and rebuilt through its delta chain,
// is byte for byte what `git cat-file` prints, and every delta's copies
// tile what they say they copy.
func TestPackReadsWhatGitReads(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			path := gitRepo(t, format)
			hashLen := map[string]int{"sha1": 20, "sha256": 32}[format]
			p, err := Open(path, hashLen)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			repo := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(path))))
			cmd := exec.Command("git", "verify-pack", "-v", path)
			cmd.Dir = repo
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			deltas, n := 0, 0
			for _, l := range strings.Split(string(out), "\n") {
				f := strings.Fields(l)
				if len(f) < 5 || len(f[0]) != 2*hashLen {
					continue
				}
				n++
				oid := mustHex(t, f[0])
				off, ok := p.Find(oid)
				if want, _ := strconv.ParseInt(f[4], 10, 64); !ok || off != want {
					t.Fatalf("Find(%s) = %d, %v; verify-pack says %d", f[0], off, ok, want)
				}
				typ, data, err := read(p, off, 0)
				if err != nil {
					t.Fatalf("%s: %v", f[0], err)
				}
				if name := [...]string{Commit: "commit", Tree: "tree", Blob: "blob", Tag: "tag"}[typ]; name != f[1] {
					t.Errorf("%s: type %s, want %s", f[0], name, f[1])
				}
				show := exec.Command("git", "cat-file", f[1], f[0])
				show.Dir = repo
				want, err := show.Output()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, want) {
					t.Errorf("%s: content differs from git's", f[0])
				}
				if len(f) >= 7 {
					deltas++
				}
			}
			if n < 100 || deltas < n/3 {
				t.Fatalf("a weak test: %d objects, %d deltas", n, deltas)
			}
			if _, ok := p.Find(make([]byte, hashLen)); ok {
				t.Error("found the all-zero name")
			}
		})
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for i := range b {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		b[i] = byte(v)
	}
	return b
}

// TestApply: copies (with the 0x10000 size of a zero size field), inserts,
// and the malformed deltas Apply refuses.
func TestApply(t *testing.T) {
	base := bytes.Repeat([]byte("0123456789"), 7000) // 70,000 bytes
	tests := []struct {
		name  string
		delta []byte
		want  []byte
		segs  string
		err   string
	}{
		{name: "insert", delta: []byte{0, 3, 3, 'a', 'b', 'c'}, want: []byte("abc")},
		{name: "copy", delta: append(size(70000, 4), 0x91, 2, 4), want: []byte("2345"), segs: "0<-2+4 "},
		{name: "copy 0x10000", delta: append(size(70000, 0x10000), 0x80), want: base[:0x10000], segs: "0<-0+65536 "},
		{name: "copy and insert", delta: append(size(70000, 5), 0x91, 8, 2, 3, 'x', 'y', 'z'), want: []byte("89xyz"), segs: "0<-8+2 "},
		{name: "reserved 0", delta: append(size(70000, 1), 0), err: "reserved"},
		{name: "copy past base", delta: append(size(70000, 10), 0x97, 0x70, 0x11, 0x01, 10), err: "out of range"},
		{name: "copy past size", delta: append(size(70000, 1), 0x91, 0, 2), err: "out of range"},
		{name: "insert past size", delta: append(size(70000, 1), 2, 'a', 'b'), err: "out of range"},
		{name: "truncated insert", delta: append(size(70000, 3), 3, 'a'), err: "out of range"},
		{name: "truncated copy", delta: append(size(70000, 3), 0x91), err: "truncated"},
		{name: "short", delta: append(size(70000, 3), 1, 'a'), err: "made 1 bytes"},
		{name: "base size", delta: append(size(5, 1), 1, 'a'), err: "base is"},
		{name: "bad header", delta: []byte{0x80, 0x80}, err: "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base
			if tt.name == "insert" {
				b = nil
			}
			d, err := ParseDelta(tt.delta)
			var segs strings.Builder
			var got []byte
			if err == nil {
				got, err = d.Apply(b, nil, func(at, from, n int) { fmt.Fprintf(&segs, "%d<-%d+%d ", at, from, n) })
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) || segs.String() != tt.segs {
				t.Fatalf("got %q, %q, %v", got, segs.String(), err)
			}
		})
	}
}

// size is a delta header: base and result sizes.
func size(base, result int) []byte {
	var b []byte
	for _, v := range []int{base, result} {
		for v >= 0x80 {
			b = append(b, byte(v)|0x80)
			v >>= 7
		}
		b = append(b, byte(v))
	}
	return b
}

// FuzzDelta: any delta on any base is applied or refused, never a panic,
// and an applied one makes exactly the size it declares out of its
// copies and inserts.
func FuzzDelta(f *testing.F) {
	f.Add([]byte("base bytes"), append(size(10, 4), 0x91, 2, 4))
	f.Add([]byte(""), []byte{0, 3, 3, 'a', 'b', 'c'})
	f.Add([]byte("x"), append(size(1, 0x10000), 0x80))
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		d, err := ParseDelta(delta)
		if err != nil {
			return
		}
		copied := 0
		out, err := d.Apply(base, make([]byte, 0, 16), func(at, from, n int) {
			if from < 0 || from+n > len(base) {
				t.Fatalf("copy %d+%d outside a base of %d", from, n, len(base))
			}
			copied += n
		})
		if err != nil {
			return
		}
		if int64(len(out)) != d.Size || copied > len(out) {
			t.Fatalf("made %d bytes (%d copied), declared %d", len(out), copied, d.Size)
		}
	})
}

// FuzzPack: a pack and an index of any bytes (seeded with a real pair)
// are opened or refused, and every object the index names is read,
// inflated and rebuilt or refused, never a panic, and never larger than
// allowed.
func FuzzPack(f *testing.F) {
	path := gitRepo(f, "sha1")
	pack, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	idx, err := os.ReadFile(strings.TrimSuffix(path, ".pack") + ".idx")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pack, idx, uint16(0), byte(0))
	f.Add(pack, idx, uint16(100), byte(0x55))
	f.Add(pack[:len(pack)/2], idx, uint16(7), byte(1))
	f.Fuzz(func(t *testing.T, pack, idx []byte, at uint16, flip byte) {
		if len(pack) > 0 {
			pack = bytes.Clone(pack)
			pack[int(at)%len(pack)] ^= flip
		}
		p, err := newPack("fuzz.pack", pack, idx, 20)
		if err != nil {
			return
		}
		for i := 0; i < p.Len(); i++ {
			off, ok := p.offset(i)
			if !ok {
				continue
			}
			if _, err := p.Object(off); err != nil {
				continue
			}
			if typ, data, err := read(p, off, 0); err == nil && typ >= OfsDelta {
				t.Fatalf("object at %d read as type %d (%d bytes)", off, typ, len(data))
			}
		}
		name := make([]byte, 20)
		name[0] = flip
		p.Find(name)
	})
}
