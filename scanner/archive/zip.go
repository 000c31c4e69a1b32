package archive

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The zip signatures a local-header walk meets.
const (
	sigLocal      = "PK\x03\x04"
	sigCentral    = "PK\x01\x02"
	sigEnd        = "PK\x05\x06"
	sigEnd64      = "PK\x06\x06"
	sigDescriptor = "PK\x07\x08"
)

// Zip flags and methods.
const (
	flagEncrypted  = 1
	flagDescriptor = 8
	methodStore    = 0
	methodDeflate  = 8
)

// walkZip reads a zip file front to back through its local headers, up
// to the central directory (which it does not need): entries stored or
// deflated, with their sizes in the local header or in a data descriptor
// after the data (a deflated entry ends by itself; a stored one ends at
// the descriptor that carries its CRC-32 and size, storedReader). An
// encrypted entry or one of another method is skipped with a problem; one
// of unknown size also ends the walk, since its end cannot be found.
func (b *Budget) walkZip(r io.Reader, p string, visit Visit) {
	br := bufio.NewReaderSize(r, 32<<10)
	for n := 0; ; n++ {
		sig, err := br.Peek(4)
		switch {
		case err != nil:
			b.Problem(p, fmt.Errorf("zip: truncated: %w", unexpected(err)))
			return
		case string(sig) == sigCentral || string(sig) == sigEnd || string(sig) == sigEnd64:
			return
		case string(sig) != sigLocal:
			b.Problem(p, errors.New("zip: not a local file header where one was expected: the rest is not scanned"))
			return
		case n >= b.lim.MaxEntries:
			b.Problem(p, fmt.Errorf("%w: more than %d entries: the rest is not scanned", ErrBudget, b.lim.MaxEntries))
			return
		}
		if !b.zipEntry(br, p, visit) || b.Exceeded() {
			return
		}
	}
}

// localHeader is what walkZip uses of a local file header.
type localHeader struct {
	name          string
	flags, method uint16
	csize         uint64
	zip64         bool
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLocalHeader reads a local file header (signature included).
func readLocalHeader(br *bufio.Reader) (localHeader, error) {
	var fixed [30]byte
	if _, err := io.ReadFull(br, fixed[:]); err != nil {
		return localHeader{}, unexpected(err)
	}
	le := binary.LittleEndian
	h := localHeader{flags: le.Uint16(fixed[6:]), method: le.Uint16(fixed[8:]), csize: uint64(le.Uint32(fixed[18:]))}
	usize := le.Uint32(fixed[22:])
	rest := make([]byte, int(le.Uint16(fixed[26:]))+int(le.Uint16(fixed[28:])))
	if _, err := io.ReadFull(br, rest); err != nil {
		return localHeader{}, unexpected(err)
	}
	nlen := int(le.Uint16(fixed[26:]))
	h.name = string(rest[:nlen])
	if h.csize == 0xffffffff || usize == 0xffffffff {
		h.zip64 = true
		h.csize = zip64Size(rest[nlen:], usize == 0xffffffff, h.csize)
	}
	return h, nil
}

// zip64Size finds the compressed size in the zip64 extra field (id 1):
// the uncompressed size first when its header field is saturated.
func zip64Size(extra []byte, skipUsize bool, csize uint64) uint64 {
	le := binary.LittleEndian
	for len(extra) >= 4 {
		id, size := le.Uint16(extra), int(le.Uint16(extra[2:]))
		if size > len(extra)-4 {
			break
		}
		field := extra[4 : 4+size]
		extra = extra[4+size:]
		if id != 1 {
			continue
		}
		if skipUsize && len(field) >= 8 {
			field = field[8:]
		}
		if csize == 0xffffffff && len(field) >= 8 {
			return le.Uint64(field)
		}
	}
	return csize
}

// zipEntry reads one entry and its data; false ends the walk.
func (b *Budget) zipEntry(br *bufio.Reader, p string, visit Visit) bool {
	h, err := readLocalHeader(br)
	if err != nil {
		b.Problem(p, fmt.Errorf("zip: %w", err))
		return false
	}
	ep := p + "!" + h.name
	known := h.flags&flagDescriptor == 0
	var skip error
	switch {
	case h.flags&flagEncrypted != 0:
		skip = errors.New("encrypted entry: not scanned")
	case h.method != methodStore && h.method != methodDeflate:
		skip = fmt.Errorf("compression method %d not supported: not scanned", h.method)
	}
	if skip != nil {
		b.Problem(ep, skip)
		if !known {
			b.Problem(p, errors.New("zip: an entry's end cannot be found: the rest is not scanned"))
			return false
		}
		return b.discard(br, int64(h.csize), p)
	}
	var data io.Reader = br
	switch {
	case known:
		data = io.LimitReader(br, int64(h.csize))
	case h.method == methodStore:
		data = &storedReader{br: br, zip64: h.zip64}
	}
	content := data
	if h.method == methodDeflate {
		fr := flate.NewReader(data)
		defer fr.Close()
		content = fr
	}
	er := b.reader(content, ep)
	visit(ep, er)
	if er.failed() || b.Exceeded() {
		return false
	}
	if known { // the rest of the data (a nested archive read only to its central directory)
		_, err := io.Copy(io.Discard, data)
		return err == nil || b.problem(ep, err)
	}
	if _, err := io.Copy(io.Discard, er); err != nil {
		return false // recorded by er
	}
	return b.skipDescriptor(br, h.zip64, p)
}

// problem records err at p and returns false.
func (b *Budget) problem(p string, err error) bool {
	b.Problem(p, fmt.Errorf("zip: %w", unexpected(err)))
	return false
}

// discard skips n bytes of compressed data.
func (b *Budget) discard(br *bufio.Reader, n int64, p string) bool {
	if _, err := io.CopyN(io.Discard, br, n); err != nil {
		return b.problem(p, err)
	}
	return true
}

// skipDescriptor skips the data descriptor after an entry's data: an
// optional signature, the CRC-32 and the two sizes (8 bytes each in a
// zip64 entry).
func (b *Budget) skipDescriptor(br *bufio.Reader, zip64 bool, p string) bool {
	if sig, err := br.Peek(4); err == nil && string(sig) == sigDescriptor {
		br.Discard(4)
	}
	n := int64(12)
	if zip64 {
		n = 20
	}
	return b.discard(br, n, p)
}

// storedReader reads a stored entry whose size is in the data descriptor
// after it: the data ends at the first descriptor signature followed by
// the CRC-32 and the size of the data before it (as Go's archive/zip and
// streaming writers write it). Bytes that may begin a descriptor are held
// back until they are known not to.
type storedReader struct {
	br    *bufio.Reader
	zip64 bool
	crc   uint32
	n     int64
	end   int // bytes left before the descriptor found, or -1
	found bool
}

func (s *storedReader) Read(p []byte) (int, error) {
	if s.found && s.end == 0 {
		return 0, io.EOF
	}
	descLen := 16
	if s.zip64 {
		descLen = 24
	}
	buf, err := s.br.Peek(s.br.Size())
	avail := len(buf)
	if !s.found {
		if i := s.descriptorAt(buf, descLen); i >= 0 {
			s.found, s.end = true, i
		} else if avail = len(buf) - (descLen - 1); avail <= 0 {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	if s.found {
		avail = s.end
	}
	n := copy(p, buf[:avail])
	s.crc = crc32.Update(s.crc, crc32.IEEETable, p[:n])
	s.n += int64(n)
	if s.found {
		s.end -= n
	}
	s.br.Discard(n)
	return n, nil
}

// descriptorAt is the offset in buf of the descriptor that ends the data
// read so far, or -1.
func (s *storedReader) descriptorAt(buf []byte, descLen int) int {
	le := binary.LittleEndian
	crc, summed := s.crc, 0
	for off := 0; ; {
		i := bytes.Index(buf[off:], []byte(sigDescriptor))
		if i < 0 || off+i+descLen > len(buf) {
			return -1
		}
		i += off
		size := int64(le.Uint32(buf[i+8:]))
		if s.zip64 {
			size = int64(le.Uint64(buf[i+8:]))
		}
		crc, summed = crc32.Update(crc, crc32.IEEETable, buf[summed:i]), i
		if size == s.n+int64(i) && le.Uint32(buf[i+4:]) == crc {
			return i
		}
		off = i + 1
	}
}
