package archive

import (
	"archive/tar"
	"fmt"
	"io"
)

// walkTar reads a tar stream: regular files are entries, everything else
// (directories, links, devices) is skipped.
func (b *Budget) walkTar(r io.Reader, p string, visit Visit) {
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		switch {
		case err == io.EOF:
			return
		case err != nil:
			b.Problem(p, fmt.Errorf("tar: %w", err))
			return
		case n >= b.lim.MaxEntries:
			b.Problem(p, fmt.Errorf("%w: more than %d entries: the rest is not scanned", ErrBudget, b.lim.MaxEntries))
			return
		case hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeGNUSparse:
			continue
		}
		er := b.reader(tr, p+"!"+hdr.Name)
		visit(er.path, er)
		if er.failed() || b.Exceeded() {
			return
		}
	}
}
