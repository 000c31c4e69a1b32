package gitpack

import (
	"errors"
	"fmt"
)

// Delta is a parsed delta's header: the sizes of its base and of the
// object it makes. Ops are checked by Apply.
type Delta struct {
	BaseSize, Size int64
	ops            []byte
}

// ParseDelta reads a delta's header (two sizes, base-128 little-endian).
func ParseDelta(d []byte) (Delta, error) {
	base, n, err := deltaSize(d)
	if err != nil {
		return Delta{}, err
	}
	size, m, err := deltaSize(d[n:])
	if err != nil {
		return Delta{}, err
	}
	return Delta{BaseSize: base, Size: size, ops: d[n+m:]}, nil
}

// deltaSize reads one size of a delta's header.
func deltaSize(d []byte) (int64, int, error) {
	var v uint64
	for i, shift := 0, uint(0); i < len(d) && shift <= 56; i, shift = i+1, shift+7 {
		v |= uint64(d[i]&0x7f) << shift
		if d[i]&0x80 == 0 {
			if v > 1<<48 {
				break
			}
			return int64(v), i + 1, nil
		}
	}
	return 0, 0, errors.New("gitpack: bad delta header")
}

// Apply builds the delta's object from base into dst's storage (when
// large enough) and returns it. copied, when not nil, is told every copy
// instruction: n bytes at dst offset at came from base offset from, in
// the order of the object. The delta must fit base exactly and make
// exactly d.Size bytes.
func (d Delta) Apply(base, dst []byte, copied func(at, from, n int)) ([]byte, error) {
	if int64(len(base)) != d.BaseSize {
		return nil, fmt.Errorf("gitpack: delta base is %d bytes, not %d", len(base), d.BaseSize)
	}
	if d.Size > int64(len(d.ops))*0x10000 {
		// Each instruction makes at most 64 KiB: refuse before allocating.
		return nil, fmt.Errorf("gitpack: delta declares %d bytes, more than its instructions can make", d.Size)
	}
	if int64(cap(dst)) < d.Size {
		dst = make([]byte, d.Size)
	}
	out := dst[:0:d.Size]
	ops := d.ops
	for len(ops) > 0 {
		c := ops[0]
		ops = ops[1:]
		switch {
		case c&0x80 != 0:
			var off, n uint32
			for i := uint(0); i < 7; i++ {
				if c&(1<<i) == 0 {
					continue
				}
				if len(ops) == 0 {
					return nil, errors.New("gitpack: truncated delta copy")
				}
				if i < 4 {
					off |= uint32(ops[0]) << (8 * i)
				} else {
					n |= uint32(ops[0]) << (8 * (i - 4))
				}
				ops = ops[1:]
			}
			if n == 0 {
				n = 0x10000
			}
			if int64(off)+int64(n) > int64(len(base)) || int64(len(out))+int64(n) > d.Size {
				return nil, errors.New("gitpack: delta copy out of range")
			}
			if copied != nil {
				copied(len(out), int(off), int(n))
			}
			out = append(out, base[off:off+n]...)
		case c != 0:
			n := int(c)
			if n > len(ops) || int64(len(out))+int64(n) > d.Size {
				return nil, errors.New("gitpack: delta insert out of range")
			}
			out = append(out, ops[:n]...)
			ops = ops[n:]
		default:
			return nil, errors.New("gitpack: reserved delta instruction 0")
		}
	}
	if int64(len(out)) != d.Size {
		return nil, fmt.Errorf("gitpack: delta made %d bytes, not %d", len(out), d.Size)
	}
	return out, nil
}
