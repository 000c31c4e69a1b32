// Package archive opens archives and compressed files for the scanner: the
// zip family (zip, jar, war, ear, whl, apk, nupkg, docx/xlsx/pptx, ...),
// tar, and gzip, bzip2, zstd and xz streams (a .tar.gz, .tgz, .tar.bz2,
// .tar.zst or .tar.xz is one archive: the tar inside the compression), and
// container image configs (imageconfig.go). Formats are recognised by their
// first bytes (Detect), never by the file's name.
//
// Everything is streamed: an entry is handed out as an io.Reader over the
// archive being read, once, in archive order; zip files are read through
// their local headers, so a zip inside an archive needs no random access
// and nothing is held in memory but the decompressors' windows. Nothing is
// ever written to disk: an entry's name ("../../etc/passwd", "/x") is only
// a name.
//
// A Budget bounds the work one top-level file may cause (Limits): bytes
// unpacked, the ratio of unpacked to read bytes, entries per archive and
// nesting depth; decompressors' memory is bounded too (zstd windows of at
// most 8 MiB, xz dictionaries of at most 64 MiB). Every limit hit, skipped
// entry and corrupt archive is a problem (Budget.Problems), so the caller
// can say that something was left unread. The package knows nothing of
// tokens, HTTP, SQL or Redis.
package archive

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Kind is a container format recognised by Detect.
type Kind uint8

// The kinds Detect recognises.
const (
	None Kind = iota
	Zip
	Tar
	Gzip
	Bzip2
	Zstd
	Xz
	ImageConfig // a container image's config (JSON), see imageconfig.go
)

func (k Kind) String() string {
	return [...]string{"none", "zip", "tar", "gzip", "bzip2", "zstd", "xz", "image config"}[k]
}

// HeadLen is how many leading bytes Detect needs to recognise every kind
// (a tar header is 512 bytes).
const HeadLen = 512

// Detect says which kind of archive head, the first bytes of a file,
// starts; None when it is no archive (or when head is shorter than the
// format's signature). It compares a few bytes, except for JSON that
// mentions "rootfs" and "diff_ids", which it decodes to see whether head
// is a whole container image config (ImageConfig).
func Detect(head []byte) Kind {
	if len(head) < 4 {
		return None
	}
	switch {
	case head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4:
		return Zip
	case head[0] == 0x1f && head[1] == 0x8b && head[2] == 8:
		return Gzip
	case head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd:
		return Zstd
	case head[0] == 0xfd && len(head) >= len(xzMagic) && string(head[:len(xzMagic)]) == xzMagic:
		return Xz
	case head[0] == 'B' && isBzip2(head):
		return Bzip2
	case len(head) >= HeadLen && string(head[257:262]) == "ustar" && tarChecksumOK(head):
		return Tar
	case isImageConfig(head):
		return ImageConfig
	}
	return None
}

// isBzip2: "BZh", a block size digit, then the magic of a block or of the
// end of the stream.
func isBzip2(h []byte) bool {
	if len(h) < 10 || h[1] != 'Z' || h[2] != 'h' || h[3] < '1' || h[3] > '9' {
		return false
	}
	m := string(h[4:10])
	return m == "\x31\x41\x59\x26\x53\x59" || m == "\x17\x72\x45\x38\x50\x90"
}

// tarChecksumOK checks a ustar header's checksum: the sum of its bytes
// with the checksum field counted as spaces, in octal at 148.
func tarChecksumOK(h []byte) bool {
	want, err := strconv.ParseInt(strings.Trim(string(h[148:156]), " \x00"), 8, 64)
	if err != nil {
		return false
	}
	var got int64
	for i, c := range h[:HeadLen] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		got += int64(c)
	}
	return got == want
}

// Limits bound what one top-level file may cost.
type Limits struct {
	// MaxBytes bounds the bytes unpacked from one top-level file, summed
	// over every level: what each decompressor produces and what each
	// entry holds (a .tar.gz's content counts as decompressed stream and
	// again as tar entries).
	MaxBytes int64
	// MaxRatio bounds unpacked bytes against the bytes read from the
	// top-level file, once more than RatioFrom bytes were unpacked.
	MaxRatio, RatioFrom int64
	// MaxEntries bounds the entries of each archive.
	MaxEntries int
	// MaxDepth is how many archives deep entries are opened: 3 opens an
	// archive in an archive in an archive, and a fourth is scanned as
	// plain bytes. A compressed tar is one level.
	MaxDepth int
}

// DefaultLimits are 1 GiB unpacked, 100:1 past 8 MiB, 100,000 entries
// per archive and 4 levels.
//
// Four levels, not three, because a container image adds one: `docker
// save` writes a tar of layers, each a (compressed) tar, so a Spring Boot
// image's libraries sit at image.tar!layer!app.jar!BOOT-INF/lib/x.jar!file.
// With three, every such image would stop at the library jars and the
// scan would end incomplete. The byte and ratio budgets, which bound the
// work, span all levels and are unchanged; a level costs one scan window
// and one decompressor's window of memory.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 1 << 30, MaxRatio: 100, RatioFrom: 8 << 20, MaxEntries: 100_000, MaxDepth: 4}
}

// OrDefault returns l with each zero (or negative) limit replaced by
// DefaultLimits' value.
func (l Limits) OrDefault() Limits {
	d := DefaultLimits()
	pick := func(v, def int64) int64 {
		if v <= 0 {
			return def
		}
		return v
	}
	return Limits{MaxBytes: pick(l.MaxBytes, d.MaxBytes), MaxRatio: pick(l.MaxRatio, d.MaxRatio),
		RatioFrom: pick(l.RatioFrom, d.RatioFrom), MaxEntries: int(pick(int64(l.MaxEntries), int64(d.MaxEntries))),
		MaxDepth: int(pick(int64(l.MaxDepth), int64(d.MaxDepth)))}
}

// ErrBudget is wrapped by the problem recorded when a limit is hit.
var ErrBudget = errors.New("unpacking budget exceeded")

// Error is a problem at one place: Path is the top-level file's path with
// "!" and the entry's name per level ("dist/app.jar!lib/x.jar!a.txt").
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Budget is what one top-level file has spent: the bytes unpacked so far
// and the problems met. It is used by one goroutine.
type Budget struct {
	lim      Limits
	path     string       // the top-level file's
	read     func() int64 // bytes read from the top-level file so far
	out      int64
	exceeded *Error
	problems []error
	dropped  int // problems past maxProblems
}

// maxProblems is how many problems a Budget keeps; the others are counted.
const maxProblems = 20

// NewBudget starts the budget of the top-level file at path; read says
// how many of its bytes were read so far (for MaxRatio).
func NewBudget(l Limits, path string, read func() int64) *Budget {
	return &Budget{lim: l.OrDefault(), path: path, read: read}
}

// Limits are the budget's limits.
func (b *Budget) Limits() Limits { return b.lim }

// Problems are the problems met so far, each an *Error, in order: the
// first 20, then one that counts the others.
func (b *Budget) Problems() []error {
	if b.dropped == 0 {
		return b.problems
	}
	more := &Error{Path: b.path, Err: fmt.Errorf("%d more problems in this file", b.dropped)}
	return append(b.problems[:len(b.problems):len(b.problems)], more)
}

func (b *Budget) add(e *Error) {
	if len(b.problems) < maxProblems {
		b.problems = append(b.problems, e)
	} else {
		b.dropped++
	}
}

// Exceeded reports whether a limit on bytes or ratio was hit: nothing more
// is unpacked then.
func (b *Budget) Exceeded() bool { return b.exceeded != nil }

// Problem records a problem at path, unless err is (or wraps) an *Error,
// which was recorded where it happened.
func (b *Budget) Problem(path string, err error) {
	var e *Error
	if errors.As(err, &e) {
		return
	}
	b.add(&Error{Path: path, Err: err})
}

// spend counts n bytes unpacked at path and returns the budget's error
// once a limit is hit.
func (b *Budget) spend(n int, path string) *Error {
	if b.exceeded != nil {
		return b.exceeded
	}
	b.out += int64(n)
	var err error
	switch in := b.read(); {
	case b.out > b.lim.MaxBytes:
		err = fmt.Errorf("%w: more than %s unpacked from one file: the rest is not scanned", ErrBudget, mib(b.lim.MaxBytes))
	case b.out > b.lim.RatioFrom && b.out > b.lim.MaxRatio*max(in, 1):
		err = fmt.Errorf("%w: %s unpacked from %s read, more than %d:1 (a compression bomb?): the rest is not scanned",
			ErrBudget, mib(b.out), mib(in), b.lim.MaxRatio)
	default:
		return nil
	}
	b.exceeded = &Error{Path: path, Err: err}
	b.add(b.exceeded)
	return b.exceeded
}

// mib formats a byte count: "1 GiB", "8.0 MiB", "41.2 KiB".
func mib(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

// reader is an entry (or a decompressed stream) being read: it charges the
// budget and turns a read error into a recorded *Error, after which it
// fails every read.
type reader struct {
	b    *Budget
	r    io.Reader
	path string
	err  error
}

func (b *Budget) reader(r io.Reader, path string) *reader { return &reader{b: b, r: r, path: path} }

func (r *reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.r.Read(p)
	if n > 0 {
		if e := r.b.spend(n, r.path); e != nil {
			r.err = e
			return n, e
		}
	}
	switch {
	case err == nil || err == io.EOF:
		return n, err
	case errors.As(err, new(*Error)):
		r.err = err // a failure underneath, recorded there
	default:
		e := &Error{Path: r.path, Err: err}
		r.b.add(e)
		r.err = e
	}
	return n, r.err
}

// failed reports whether the entry could not be read to its end.
func (r *reader) failed() bool { return r.err != nil }

// Visit is called for each regular entry with its path and content; it
// reads the content, to its end or to the first error, and returns.
type Visit func(path string, content io.Reader)

// Walk reads the archive r of kind k, which sits at path, and calls visit
// for each regular entry, at path + "!" + its name. A compressed stream
// that holds a tar is walked as that tar; any other is one entry, named
// after path without its compression suffix ("app.log.gz" holds
// "app.log"). An image config's entries are its string values, named by
// their JSON paths ("config.Env[1]"). Directories, symbolic and hard links and devices are
// skipped (links are never followed). Problems are recorded in the budget
// and end the walk of the archive where continuing is impossible.
func (b *Budget) Walk(r io.Reader, k Kind, path string, visit Visit) {
	switch k {
	case Zip:
		b.walkZip(r, path, visit)
	case Tar:
		b.walkTar(r, path, visit)
	case Gzip, Bzip2, Zstd, Xz:
		b.walkStream(r, k, path, visit)
	case ImageConfig:
		b.walkImageConfig(r, path, visit)
	}
}

// walkStream decompresses one stream.
func (b *Budget) walkStream(r io.Reader, k Kind, p string, visit Visit) {
	d, closeFn, err := decompressor(r, k)
	if err != nil {
		b.Problem(p, fmt.Errorf("%s: %w", k, err))
		return
	}
	defer closeFn()
	dr := b.reader(d, p)
	br := bufio.NewReaderSize(dr, 4096)
	head, _ := br.Peek(HeadLen)
	if dr.failed() {
		return
	}
	if Detect(head) == Tar {
		b.walkTar(br, p, visit)
		return
	}
	visit(p+"!"+streamName(p), br)
}

// decompressor opens a compressed stream. zstd decodes on the caller's
// goroutine with a window of at most 8 MiB; xz refuses dictionaries over
// 64 MiB (xz.go).
func decompressor(r io.Reader, k Kind) (io.Reader, func(), error) {
	switch k {
	case Xz:
		x, err := newXZReader(r)
		if err != nil {
			return nil, nil, err
		}
		return x, func() {}, nil
	case Gzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return z, func() { z.Close() }, nil
	case Bzip2:
		return bzip2.NewReader(r), func() {}, nil
	}
	z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(8<<20), zstd.WithDecoderMaxMemory(64<<20))
	if err != nil {
		return nil, nil, err
	}
	return z, z.Close, nil
}

// streamName is the name of a compressed stream's content: its file's
// base name without the compression suffix (".tgz" becomes ".tar").
func streamName(p string) string {
	base := path.Base(strings.ReplaceAll(p[strings.LastIndexByte(p, '!')+1:], "\\", "/"))
	lower := strings.ToLower(base)
	for _, s := range [...][2]string{{".tgz", ".tar"}, {".tbz2", ".tar"}, {".tbz", ".tar"}, {".tzst", ".tar"},
		{".txz", ".tar"}, {".gz", ""}, {".bz2", ""}, {".zst", ""}, {".zstd", ""}, {".xz", ""}} {
		if strings.HasSuffix(lower, s[0]) && len(base) > len(s[0]) {
			return base[:len(base)-len(s[0])] + s[1]
		}
	}
	return base
}
