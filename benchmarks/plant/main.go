// Command plant prepares the scanner benchmark corpus: it appends, to a
// deterministic sample of the files under a directory, one line holding a
// checksum-valid token of a default-catalog format and one line holding a
// same-shape look-alike (last checksum character changed), and writes a
// manifest of what it planted (path, line, kind, SHA-256 of the token; never
// the token itself) to stdout.
//
//	go run ./benchmarks/plant -dir CORPUS -every 20 -seed 1 > manifest.tsv
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/leakguard/leakguard/patterns"
)

func main() {
	dir := flag.String("dir", "", "corpus directory to plant into")
	every := flag.Int("every", 20, "plant into one file out of this many")
	seed := flag.Uint64("seed", 1, "random seed (the plan is deterministic)")
	flag.Parse()
	if err := run(*dir, *every, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "plant:", err)
		os.Exit(2)
	}
}

func run(dir string, every int, seed uint64) error {
	if dir == "" || every < 1 {
		return fmt.Errorf("need -dir and -every >= 1")
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var generatable []*patterns.Format
	for _, f := range patterns.Default().Formats() {
		if _, err := f.Generate(randReader{rnd}); err == nil {
			generatable = append(generatable, f)
		}
	}
	if len(generatable) == 0 {
		return fmt.Errorf("no generatable format in the default catalog")
	}
	fmt.Println("path\tline\tkind\tformat\tsha256")
	for _, p := range files {
		if rnd.IntN(every) != 0 {
			continue
		}
		f := generatable[rnd.IntN(len(generatable))]
		if err := plantInto(p, f, rnd); err != nil {
			return err
		}
	}
	return nil
}

// plantInto appends a valid token and a look-alike to the file, each on its
// own new line, and prints their manifest rows.
func plantInto(path string, f *patterns.Format, rnd *rand.Rand) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tok, err := f.Generate(randReader{rnd})
	if err != nil {
		return err
	}
	valid := tok.Reveal()
	last := byte('A')
	if valid[len(valid)-1] == 'A' {
		last = 'B'
	}
	fake := valid[:len(valid)-1] + string(last)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	line := strings.Count(string(data), "\n") + 1
	data = append(data, "api_key = \""+valid+"\"\nexample_key = \""+fake+"\"\n"...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s\t%d\tvalid\t%s\t%s\n", path, line, f.ID, patterns.HashToken(valid))
	fmt.Printf("%s\t%d\tlookalike\t%s\t%s\n", path, line+1, f.ID, patterns.HashToken(fake))
	return nil
}

// randReader feeds Generate from a seeded generator so the plan repeats.
type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}
