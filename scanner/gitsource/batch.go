package gitsource

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
)

// batchFormat is the header cat-file prints per object; %(rest) echoes what
// followed the object id on the request line (the path, or an index).
const batchFormat = "%(objectname) %(objecttype) %(objectsize) %(rest)"

// maxObjectSize bounds the size a header may announce (sanity, not policy).
const maxObjectSize = 1 << 40

// ErrBatchProtocol is returned for malformed `git cat-file --batch` output.
var ErrBatchProtocol = errors.New("cat-file: malformed batch output")

// Header is one object's header in `git cat-file --batch` output.
type Header struct {
	OID     string // object id as printed
	Type    string // blob, tree, commit, tag
	Size    int64  // content length in bytes
	Rest    string // the request line's text after the object id
	Missing bool   // "<name> missing" (or "ambiguous"): no content follows
}

// BatchReader reads the objects of `git cat-file --batch=` + batchFormat.
type BatchReader struct {
	r *bufio.Reader
}

// NewBatchReader reads cat-file output from r.
func NewBatchReader(r io.Reader) *BatchReader {
	return &BatchReader{r: bufio.NewReaderSize(r, 256<<10)}
}

// HeaderBuffered reports whether the next header line is already read
// from the stream, so that Next returns without waiting for git.
func (b *BatchReader) HeaderBuffered() bool {
	buf, _ := b.r.Peek(b.r.Buffered())
	return bytes.IndexByte(buf, '\n') >= 0
}

// Next reads the next header; io.EOF at a clean end. The caller must then
// read exactly h.Size bytes with Body (unless h.Missing).
func (b *BatchReader) Next() (Header, error) {
	line, err := b.r.ReadSlice('\n')
	if err == io.EOF && len(line) == 0 {
		return Header{}, io.EOF
	}
	if err == bufio.ErrBufferFull {
		return Header{}, fmt.Errorf("%w: header line too long", ErrBatchProtocol)
	}
	if err != nil {
		return Header{}, fmt.Errorf("%w: truncated header", ErrBatchProtocol)
	}
	return parseHeader(line[:len(line)-1])
}

// parseHeader parses "oid type size rest" or "name missing".
func parseHeader(line []byte) (Header, error) {
	oid, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok || len(oid) == 0 {
		return Header{}, fmt.Errorf("%w: header %q", ErrBatchProtocol, clip(line))
	}
	if s := string(rest); s == "missing" || s == "ambiguous" {
		return Header{OID: string(oid), Missing: true}, nil
	}
	typ, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok || len(typ) == 0 {
		return Header{}, fmt.Errorf("%w: header %q", ErrBatchProtocol, clip(line))
	}
	sizeText, rest, _ := bytes.Cut(rest, []byte{' '})
	size, err := strconv.ParseInt(string(sizeText), 10, 64)
	if err != nil || size < 0 || size > maxObjectSize {
		return Header{}, fmt.Errorf("%w: size %q", ErrBatchProtocol, clip(sizeText))
	}
	return Header{OID: string(oid), Type: string(typ), Size: size, Rest: string(rest)}, nil
}

// clip shortens protocol text quoted in errors.
func clip(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// Body returns a reader of the current object's content; it must be read to
// its end (or Skip called) before the next Next. It checks the LF that
// terminates every object.
func (b *BatchReader) Body(h Header) io.Reader {
	return &bodyReader{b: b, left: h.Size}
}

// ReadBody reads the current object's content into buf (grown as needed).
// Memory grows with the bytes actually read, never with the announced size
// alone, so a lying header cannot force a huge allocation.
func (b *BatchReader) ReadBody(h Header, buf []byte) ([]byte, error) {
	if h.Size <= 1<<20 || int64(cap(buf)) >= h.Size {
		if int64(cap(buf)) < h.Size {
			buf = make([]byte, h.Size)
		}
		buf = buf[:h.Size]
		if _, err := io.ReadFull(b.r, buf); err != nil {
			return nil, fmt.Errorf("%w: truncated object %s", ErrBatchProtocol, h.OID)
		}
		return buf, b.trailer(h)
	}
	var out bytes.Buffer
	out.Grow(1 << 20)
	if n, _ := io.CopyN(&out, b.r, h.Size); n != h.Size {
		return nil, fmt.Errorf("%w: truncated object %s", ErrBatchProtocol, h.OID)
	}
	return out.Bytes(), b.trailer(h)
}

// Skip discards the current object's content.
func (b *BatchReader) Skip(h Header) error {
	if _, err := b.r.Discard(int(min(h.Size, maxObjectSize))); err != nil {
		return fmt.Errorf("%w: truncated object %s", ErrBatchProtocol, h.OID)
	}
	return b.trailer(h)
}

func (b *BatchReader) trailer(h Header) error {
	c, err := b.r.ReadByte()
	if err != nil || c != '\n' {
		return fmt.Errorf("%w: object %s not terminated by LF", ErrBatchProtocol, h.OID)
	}
	return nil
}

type bodyReader struct {
	b    *BatchReader
	left int64
	done bool
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		if !r.done {
			r.done = true
			if err := r.b.trailer(Header{}); err != nil {
				return 0, err
			}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.b.r.Read(p)
	r.left -= int64(n)
	if err == io.EOF {
		return n, fmt.Errorf("%w: truncated object", ErrBatchProtocol)
	}
	return n, err
}

// catFile is the long-lived `git cat-file --batch` process.
type catFile struct {
	proc *proc
	in   io.WriteCloser
	out  io.ReadCloser
}

// startCatFile starts `git cat-file --batch --buffer` with batchFormat.
func (g Git) startCatFile(ctx context.Context) (*catFile, error) {
	c := &catFile{}
	args := []string{"cat-file", "--batch=" + batchFormat, "--buffer"}
	p, err := g.start(ctx, args, func(cmd *exec.Cmd) error {
		var err error
		if c.in, err = cmd.StdinPipe(); err != nil {
			return err
		}
		if c.out, err = cmd.StdoutPipe(); err != nil {
			return err
		}
		growPipe(c.in)
		growPipe(c.out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.proc = p
	return c, nil
}

// startCatFiles starts n cat-file processes (startCatFile); when one
// cannot start, those already started are stopped.
func (g Git) startCatFiles(ctx context.Context, n int) ([]*catFile, error) {
	cats := make([]*catFile, 0, n)
	for range n {
		c, err := g.startCatFile(ctx)
		if err != nil {
			for _, started := range cats {
				_ = started.in.Close()
				_ = started.proc.cmd.Process.Kill()
				_ = started.proc.wait()
			}
			return nil, err
		}
		cats = append(cats, c)
	}
	return cats, nil
}
