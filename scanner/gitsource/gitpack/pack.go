package gitpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"os"
	"strings"
	"sync"
)

// Type is an object's type as a pack stores it.
type Type uint8

// The pack object types (git's gitformat-pack(5)); 5 is reserved.
const (
	Commit   Type = 1
	Tree     Type = 2
	Blob     Type = 3
	Tag      Type = 4
	OfsDelta Type = 6
	RefDelta Type = 7
)

// ErrTooLarge is returned (wrapped) for an object whose declared size is
// beyond what the caller allows.
var ErrTooLarge = errors.New("object too large")

// Pack is one opened pack file with its index. Its methods are safe for
// concurrent use; Close must not race them.
type Pack struct {
	Path    string // the .pack file
	hashLen int

	pack, idx         []byte
	unmapPack, unmapI func() error

	n         int
	fanout    []byte    // 256 big-endian uint32
	names     []byte    // n names of hashLen bytes, sorted
	offs32    []byte    // n big-endian uint32
	offs64    []byte    // the large-offset table
	inflaters sync.Pool // of *inflater
}

// Open maps the pack file at path (".pack") and its index (the same name
// with ".idx"). hashLen is the repository's object name length: 20 for
// SHA-1, 32 for SHA-256.
func Open(path string, hashLen int) (*Pack, error) {
	if hashLen != 20 && hashLen != 32 {
		return nil, fmt.Errorf("gitpack: object name length %d", hashLen)
	}
	pack, unmapPack, err := mapPath(path)
	if err != nil {
		return nil, err
	}
	idx, unmapIdx, err := mapPath(strings.TrimSuffix(path, ".pack") + ".idx")
	if err != nil {
		_ = unmapPack()
		return nil, err
	}
	p, err := newPack(path, pack, idx, hashLen)
	if err != nil {
		_ = errors.Join(unmapPack(), unmapIdx())
		return nil, err
	}
	p.unmapPack, p.unmapI = unmapPack, unmapIdx
	return p, nil
}

// newPack checks a pack and its index, held in memory.
func newPack(path string, pack, idx []byte, hashLen int) (*Pack, error) {
	p := &Pack{Path: path, hashLen: hashLen, pack: pack, idx: idx,
		unmapPack: func() error { return nil }, unmapI: func() error { return nil }}
	if err := p.parse(); err != nil {
		return nil, fmt.Errorf("gitpack: %s: %w", path, err)
	}
	return p, nil
}

// mapPath maps the whole file at path.
func mapPath(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("gitpack: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("gitpack: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("gitpack: %s: not a regular file", path)
	}
	return mapFile(f, st.Size())
}

// Close unmaps the files.
func (p *Pack) Close() error {
	return errors.Join(p.unmapPack(), p.unmapI())
}

// parse checks the index and the pack header and slices the index's
// tables.
func (p *Pack) parse() error {
	if err := parseIndex(p, p.idx); err != nil {
		return err
	}
	if len(p.pack) < 12+p.hashLen || string(p.pack[:4]) != "PACK" {
		return errors.New("not a pack file")
	}
	if v := binary.BigEndian.Uint32(p.pack[4:]); v != 2 && v != 3 {
		return fmt.Errorf("pack version %d", v)
	}
	if n := binary.BigEndian.Uint32(p.pack[8:]); int64(n) != int64(p.n) {
		return fmt.Errorf("pack holds %d objects, its index %d", n, p.n)
	}
	return nil
}

// parseIndex checks a version 2 index and slices its tables into p.
func parseIndex(p *Pack, idx []byte) error {
	const head = 8 + 256*4
	if len(idx) < head+2*p.hashLen || string(idx[:4]) != "\xfftOc" || binary.BigEndian.Uint32(idx[4:]) != 2 {
		return errors.New("not a version 2 pack index")
	}
	p.fanout = idx[8:head]
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		v := binary.BigEndian.Uint32(p.fanout[4*i:])
		if v < prev {
			return errors.New("index fan-out not sorted")
		}
		prev = v
	}
	n := int64(prev)
	fixed := head + n*int64(p.hashLen+8) + 2*int64(p.hashLen)
	if fixed > int64(len(idx)) || (int64(len(idx))-fixed)%8 != 0 {
		return errors.New("index size does not match its object count")
	}
	p.n = int(n)
	off := int64(head)
	p.names = idx[off : off+n*int64(p.hashLen)]
	off += n * int64(p.hashLen) // names
	off += n * 4                // CRC-32s
	p.offs32 = idx[off : off+n*4]
	off += n * 4
	p.offs64 = idx[off : int64(len(idx))-2*int64(p.hashLen)]
	return nil
}

// Len is the number of objects in the pack.
func (p *Pack) Len() int { return p.n }

// Find returns the offset in the pack of the object named oid (raw bytes).
func (p *Pack) Find(oid []byte) (int64, bool) {
	if len(oid) != p.hashLen {
		return 0, false
	}
	lo := 0
	if oid[0] > 0 {
		lo = int(binary.BigEndian.Uint32(p.fanout[4*(int(oid[0])-1):]))
	}
	hi := int(binary.BigEndian.Uint32(p.fanout[4*int(oid[0]):]))
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(p.names[m*p.hashLen:(m+1)*p.hashLen], oid); {
		case c == 0:
			off, ok := p.offset(m)
			return off, ok
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// offset is the pack offset of the index's m-th object.
func (p *Pack) offset(m int) (int64, bool) {
	v := binary.BigEndian.Uint32(p.offs32[4*m:])
	if v&0x80000000 == 0 {
		return int64(v), true
	}
	i := int64(v & 0x7fffffff)
	if (i+1)*8 > int64(len(p.offs64)) {
		return 0, false
	}
	off := binary.BigEndian.Uint64(p.offs64[8*i:])
	if off > 1<<62 {
		return 0, false
	}
	return int64(off), true
}

// Object is one entry of a pack, as its header describes it.
type Object struct {
	Offset int64 // of the header in the pack
	Type   Type
	// Size is the inflated size of the entry's data: the object's for
	// Commit to Tag, the delta's for OfsDelta and RefDelta.
	Size    int64
	Base    int64  // OfsDelta: the base's offset in the same pack
	BaseOID []byte // RefDelta: the base's name
	data    int64  // where the zlib stream starts
}

// Object reads the header of the entry at off.
func (p *Pack) Object(off int64) (Object, error) {
	end := int64(len(p.pack)) - int64(p.hashLen) // the trailer is not data
	if off < 12 || off >= end {
		return Object{}, fmt.Errorf("gitpack: %s: offset %d outside the pack", p.Path, off)
	}
	o := Object{Offset: off}
	i := off
	c := p.pack[i]
	i++
	o.Type = Type(c >> 4 & 7)
	size := uint64(c & 15)
	for shift := uint(4); c&0x80 != 0; shift += 7 {
		if i >= end || shift > 56 {
			return Object{}, fmt.Errorf("gitpack: %s: bad header at %d", p.Path, off)
		}
		c = p.pack[i]
		i++
		size |= uint64(c&0x7f) << shift
	}
	if size > 1<<48 {
		return Object{}, fmt.Errorf("gitpack: %s: object at %d: size %d", p.Path, off, size)
	}
	o.Size = int64(size)
	switch o.Type {
	case Commit, Tree, Blob, Tag:
	case OfsDelta:
		if i >= end {
			return Object{}, fmt.Errorf("gitpack: %s: bad delta header at %d", p.Path, off)
		}
		c = p.pack[i]
		i++
		back := uint64(c & 0x7f)
		for c&0x80 != 0 {
			if i >= end || back >= 1<<55 {
				return Object{}, fmt.Errorf("gitpack: %s: bad delta offset at %d", p.Path, off)
			}
			c = p.pack[i]
			i++
			back = (back+1)<<7 | uint64(c&0x7f)
		}
		if back == 0 || back >= uint64(off) || int64(back) > off-12 {
			return Object{}, fmt.Errorf("gitpack: %s: delta at %d: base offset out of range", p.Path, off)
		}
		o.Base = off - int64(back)
	case RefDelta:
		if i+int64(p.hashLen) > end {
			return Object{}, fmt.Errorf("gitpack: %s: bad delta header at %d", p.Path, off)
		}
		o.BaseOID = p.pack[i : i+int64(p.hashLen)]
		i += int64(p.hashLen)
	default:
		return Object{}, fmt.Errorf("gitpack: %s: object at %d: type %d", p.Path, off, o.Type)
	}
	if i >= end {
		return Object{}, fmt.Errorf("gitpack: %s: object at %d has no data", p.Path, off)
	}
	o.data = i
	return o, nil
}

// Inflate returns o's data, exactly o.Size bytes, in dst's storage when
// it is large enough. An entry whose declared size passes max is
// ErrTooLarge, before anything is allocated.
func (p *Pack) Inflate(o Object, dst []byte, max int64) ([]byte, error) {
	if o.Size > max {
		return nil, fmt.Errorf("gitpack: %s: object at %d: %w (%d bytes)", p.Path, o.Offset, ErrTooLarge, o.Size)
	}
	if o.data <= o.Offset || o.data >= int64(len(p.pack)) {
		return nil, fmt.Errorf("gitpack: %s: object at %d: not read by Object", p.Path, o.Offset)
	}
	if int64(cap(dst)) < o.Size {
		dst = make([]byte, o.Size)
	}
	dst = dst[:o.Size]
	src, err := zlibBody(p.pack[o.data : int64(len(p.pack))-int64(p.hashLen)])
	if err != nil {
		return nil, fmt.Errorf("gitpack: %s: object at %d: %w", p.Path, o.Offset, err)
	}
	f, _ := p.inflaters.Get().(*inflater)
	if f == nil {
		f = new(inflater)
	}
	defer p.inflaters.Put(f)
	end, err := f.inflate(dst, src)
	if err == nil && (end+4 > len(src) || binary.BigEndian.Uint32(src[end:]) != adler32.Checksum(dst)) {
		err = errors.New("zlib checksum mismatch") // a damaged pack is an error, as it is to git
	}
	if err != nil {
		return nil, fmt.Errorf("gitpack: %s: object at %d: %w", p.Path, o.Offset, err)
	}
	return dst, nil
}

// zlibBody checks the two-byte zlib header at the start of z and returns
// the deflate stream after it. Git never sets a preset dictionary.
func zlibBody(z []byte) ([]byte, error) {
	if len(z) < 2 || z[0]&0x0f != 8 || z[0]>>4 > 7 || (uint(z[0])<<8|uint(z[1]))%31 != 0 || z[1]&0x20 != 0 {
		return nil, errors.New("not a zlib stream")
	}
	return z[2:], nil
}
