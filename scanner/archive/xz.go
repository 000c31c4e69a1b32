package archive

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// An .xz file is read here, container by container (the xz file format
// 1.0.4, tukaani.org/xz/xz-file-format.txt): stream header, blocks, index,
// footer, stream padding, further streams. Each block's LZMA2 data is
// decoded by github.com/ulikunitz/xz/lzma. The container is parsed here
// rather than by that module's xz reader because an xz block header names
// the dictionary size its decoder must allocate, up to 4 GiB, and that
// reader allocates whatever a block asks for: a 100-byte file could make
// the scan allocate gigabytes per block. Here a block asking for more than
// xzMaxDict is refused, like a zstd window over its limit.

// xzMaxDict is the largest LZMA2 dictionary accepted: 64 MiB, that of
// xz -9 and -9e, the largest presets.
const xzMaxDict = 64 << 20

// xzMagic starts every xz stream.
const xzMagic = "\xfd7zXZ\x00"

// errXZFormat is wrapped by the errors of a malformed xz file.
var errXZFormat = errors.New("xz: malformed file")

// xzReader decompresses an xz file.
type xzReader struct {
	r     *bufio.Reader
	flags [2]byte // the current stream's flags
	block io.Reader
	cr    countingReader // compressed bytes of the current block
	check hash.Hash      // the current block's check, nil for none or unknown
	csize int            // size of the check field
	hlen  int            // size of the current block's header
	usize int64          // uncompressed bytes of the current block
	want  [2]int64       // sizes the block header declares, -1 if absent
	recs  [][2]int64     // (unpadded, uncompressed) size of each block
	err   error
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// newXZReader reads the first stream header of r.
func newXZReader(r io.Reader) (*xzReader, error) {
	x := &xzReader{r: bufio.NewReaderSize(r, 4096)}
	if err := x.streamHeader(); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *xzReader) Read(p []byte) (int, error) {
	for x.err == nil {
		if x.block == nil {
			x.err = x.next()
			continue
		}
		n, err := x.block.Read(p)
		x.usize += int64(n)
		if x.check != nil {
			x.check.Write(p[:n])
		}
		switch {
		case err == io.EOF:
			x.err = x.endBlock()
		case err != nil:
			x.err = fmt.Errorf("xz: %w", err)
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, x.err
}

// next reads what follows a block or a stream header: another block's
// header, or the index, the footer and then another stream or the end.
func (x *xzReader) next() error {
	b, err := x.r.ReadByte()
	if err != nil {
		return xzUnexpected(err)
	}
	if b != 0 {
		return x.startBlock(b)
	}
	if err := x.index(); err != nil {
		return err
	}
	return x.nextStream()
}

// streamHeader reads and checks a stream header: magic, flags, CRC32.
func (x *xzReader) streamHeader() error {
	var h [12]byte
	if _, err := io.ReadFull(x.r, h[:]); err != nil {
		return xzUnexpected(err)
	}
	if string(h[:6]) != xzMagic || crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:]) ||
		h[6] != 0 || h[7] > 0x0f {
		return fmt.Errorf("%w: bad stream header", errXZFormat)
	}
	x.flags = [2]byte{h[6], h[7]}
	x.recs = x.recs[:0]
	return nil
}

// startBlock reads a block header whose first byte is size and starts the
// LZMA2 decoder of the block.
func (x *xzReader) startBlock(size byte) error {
	n := (int(size) + 1) * 4
	h := make([]byte, n)
	h[0] = size
	if _, err := io.ReadFull(x.r, h[1:]); err != nil {
		return xzUnexpected(err)
	}
	if crc32.ChecksumIEEE(h[:n-4]) != binary.LittleEndian.Uint32(h[n-4:]) {
		return fmt.Errorf("%w: block header checksum", errXZFormat)
	}
	flags, rest := h[1], h[2:n-4]
	if flags&0x3c != 0 {
		return fmt.Errorf("%w: reserved block flags", errXZFormat)
	}
	x.want = [2]int64{-1, -1}
	var ok bool
	for i, bit := range []byte{0x40, 0x80} {
		if flags&bit != 0 {
			var v uint64
			if v, rest, ok = xzVarint(rest); !ok {
				return fmt.Errorf("%w: block header sizes", errXZFormat)
			}
			x.want[i] = int64(v)
		}
	}
	dict, rest, err := xzFilters(int(flags&3)+1, rest)
	if err != nil {
		return err
	}
	for _, b := range rest {
		if b != 0 {
			return fmt.Errorf("%w: block header padding", errXZFormat)
		}
	}
	x.hlen, x.usize, x.cr = n, 0, countingReader{r: x.r}
	x.check, x.csize = xzCheck(x.flags[1])
	x.block, err = lzma.Reader2Config{DictCap: max(dict, lzma.MinDictCap)}.NewReader2(&x.cr)
	if err != nil {
		return fmt.Errorf("xz: %w", err)
	}
	return nil
}

// xzFilters reads a block's filter flags: one filter, LZMA2 (0x21), whose
// one property byte gives the dictionary size. Other filters (the BCJ
// branch converters, delta) are not supported.
func xzFilters(n int, p []byte) (int, []byte, error) {
	id, p, ok := xzVarint(p)
	if !ok {
		return 0, nil, fmt.Errorf("%w: filter flags", errXZFormat)
	}
	psize, p, ok := xzVarint(p)
	if n != 1 || id != 0x21 {
		return 0, nil, fmt.Errorf("xz: filter %#x (of %d): only a lone LZMA2 filter is supported", id, n)
	}
	if !ok || psize != 1 || len(p) < 1 || p[0] > 40 {
		return 0, nil, fmt.Errorf("%w: LZMA2 properties", errXZFormat)
	}
	d := int64(0xffffffff)
	if p[0] < 40 {
		d = (2 | int64(p[0])&1) << (11 + p[0]>>1)
	}
	if d > xzMaxDict {
		return 0, nil, fmt.Errorf("xz: a %s dictionary, over the %s limit: not decompressed", mib(d), mib(xzMaxDict))
	}
	return int(d), p[1:], nil
}

// endBlock reads the block's padding and check, and checks the sizes.
func (x *xzReader) endBlock() error {
	x.block = nil
	c := x.cr.n
	if x.want[0] >= 0 && x.want[0] != c || x.want[1] >= 0 && x.want[1] != x.usize {
		return fmt.Errorf("%w: block sizes differ from its header", errXZFormat)
	}
	tail := make([]byte, int((4-c%4)%4)+x.csize)
	if _, err := io.ReadFull(x.r, tail); err != nil {
		return xzUnexpected(err)
	}
	pad, sum := tail[:len(tail)-x.csize], tail[len(tail)-x.csize:]
	if !allZero(pad) {
		return fmt.Errorf("%w: block padding", errXZFormat)
	}
	if x.check != nil && !xzCheckOK(x.check, x.flags[1], sum) {
		return errors.New("xz: block check failed (corrupt data)")
	}
	x.recs = append(x.recs, [2]int64{int64(x.hlen) + c + int64(x.csize), x.usize})
	return nil
}

// index reads the index after its indicator (0x00, read), checks its
// records against the blocks read, then reads the footer.
func (x *xzReader) index() error {
	crc := crc32.NewIEEE()
	crc.Write([]byte{0})
	br := &xzHashReader{r: x.r, h: crc}
	count, err := readUvarint(br)
	if err != nil || count != uint64(len(x.recs)) {
		return fmt.Errorf("%w: index count", errXZFormat)
	}
	for _, rec := range x.recs {
		for _, want := range rec {
			if v, err := readUvarint(br); err != nil || int64(v) != want {
				return fmt.Errorf("%w: index record", errXZFormat)
			}
		}
	}
	pad := make([]byte, (4-(1+br.n)%4)%4)
	if _, err := io.ReadFull(br, pad); err != nil || !allZero(pad) {
		return fmt.Errorf("%w: index padding", errXZFormat)
	}
	size := 1 + br.n + 4 // indicator, records, padding, CRC
	var tail [16]byte    // index CRC, then the footer
	if _, err := io.ReadFull(x.r, tail[:]); err != nil {
		return xzUnexpected(err)
	}
	f := tail[4:]
	if binary.LittleEndian.Uint32(tail[:4]) != crc.Sum32() || string(f[10:]) != "YZ" ||
		crc32.ChecksumIEEE(f[4:10]) != binary.LittleEndian.Uint32(f[:4]) ||
		f[8] != x.flags[0] || f[9] != x.flags[1] || (int64(binary.LittleEndian.Uint32(f[4:8]))+1)*4 != size {
		return fmt.Errorf("%w: index or footer", errXZFormat)
	}
	return nil
}

// nextStream skips stream padding and reads the next stream's header, or
// reports io.EOF at the end of the file.
func (x *xzReader) nextStream() error {
	for {
		b, err := x.r.Peek(4)
		switch {
		case len(b) == 0 && err == io.EOF:
			return io.EOF
		case len(b) < 4:
			return fmt.Errorf("%w: stream padding", errXZFormat)
		case bytes.Equal(b, []byte{0, 0, 0, 0}):
			x.r.Discard(4)
			continue
		}
		return x.streamHeader()
	}
}

// xzCheck returns the hash of a check type (nil when there is none or it
// is unknown) and the size of its check field.
func xzCheck(t byte) (hash.Hash, int) {
	switch t {
	case 0:
		return nil, 0
	case 1:
		return crc32.NewIEEE(), 4
	case 4:
		return crc64.New(crc64.MakeTable(crc64.ECMA)), 8
	case 10:
		return sha256.New(), 32
	}
	return nil, [...]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}[t&0x0f]
}

// xzCheckOK compares a check field, little-endian for the CRCs.
func xzCheckOK(h hash.Hash, t byte, field []byte) bool {
	sum := h.Sum(nil)
	if t == 1 || t == 4 {
		for i, j := 0, len(sum)-1; i < j; i, j = i+1, j-1 {
			sum[i], sum[j] = sum[j], sum[i]
		}
	}
	return bytes.Equal(sum, field)
}

// xzVarint decodes xz's multibyte integer (7 bits a byte, low first, at
// most 9 bytes) from p.
func xzVarint(p []byte) (uint64, []byte, bool) {
	var v uint64
	for i := 0; i < len(p) && i < 9; i++ {
		v |= uint64(p[i]&0x7f) << (7 * i)
		if p[i]&0x80 == 0 {
			return v, p[i+1:], i == 0 || p[i] != 0
		}
	}
	return 0, nil, false
}

// readUvarint reads xz's multibyte integer from r.
func readUvarint(r io.ByteReader) (uint64, error) {
	var buf [9]byte
	for i := range buf {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		buf[i] = b
		if b&0x80 == 0 {
			if v, _, ok := xzVarint(buf[:i+1]); ok {
				return v, nil
			}
			break
		}
	}
	return 0, errXZFormat
}

// xzHashReader reads through h, counting bytes.
type xzHashReader struct {
	r *bufio.Reader
	h hash.Hash32
	n int64
}

func (r *xzHashReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

func (r *xzHashReader) ReadByte() (byte, error) {
	b, err := r.r.ReadByte()
	if err == nil {
		r.h.Write([]byte{b})
		r.n++
	}
	return b, err
}

func allZero(p []byte) bool {
	for _, b := range p {
		if b != 0 {
			return false
		}
	}
	return true
}

// xzUnexpected turns an end of input inside a structure into
// io.ErrUnexpectedEOF.
func xzUnexpected(err error) error {
	if err == io.EOF {
		return fmt.Errorf("xz: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("xz: %w", err)
}
