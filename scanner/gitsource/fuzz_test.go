package gitsource

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// encodeBatch renders objects the way `git cat-file --batch=` + batchFormat does.
func encodeBatch(objs []Header, bodies [][]byte) []byte {
	var b bytes.Buffer
	for i, h := range objs {
		if h.Missing {
			fmt.Fprintf(&b, "%s missing\n", h.OID)
			continue
		}
		fmt.Fprintf(&b, "%s %s %d %s\n", h.OID, h.Type, len(bodies[i]), h.Rest)
		b.Write(bodies[i])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// readAll reads every object, alternating ReadBody and streamed Body reads.
func readAll(data []byte) ([]Header, [][]byte, error) {
	r := NewBatchReader(bytes.NewReader(data))
	var hs []Header
	var bodies [][]byte
	for i := 0; ; i++ {
		h, err := r.Next()
		if err == io.EOF {
			return hs, bodies, nil
		}
		if err != nil {
			return hs, bodies, err
		}
		var body []byte
		switch {
		case h.Missing:
		case i%2 == 0:
			if body, err = r.ReadBody(h, nil); err != nil {
				return hs, bodies, err
			}
		default:
			if body, err = io.ReadAll(r.Body(h)); err != nil {
				return hs, bodies, err
			}
		}
		hs, bodies = append(hs, h), append(bodies, append([]byte(nil), body...))
	}
}

func TestBatchReaderRoundTrip(t *testing.T) {
	t.Parallel()
	objs := []Header{
		{OID: "45b983be36b73c0788dc9cbcb76cbb80fc7bb057", Type: "blob", Rest: "path with spaces.txt"},
		{OID: "74b863c56ab04893aa85966554a48add58cdee08", Type: "blob", Rest: ""},
		{OID: "6615681834b1cf91bf7e6f9c8c4385de64ad9f83", Missing: true},
		{OID: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", Type: "blob", Rest: "empty"},
	}
	bodies := [][]byte{[]byte("hi\nthere\n"), {0, '\n', 0xff}, nil, {}}
	hs, got, err := readAll(encodeBatch(objs, bodies))
	if err != nil {
		t.Fatal(err)
	}
	for i := range objs {
		if hs[i].OID != objs[i].OID || hs[i].Rest != objs[i].Rest || hs[i].Missing != objs[i].Missing || !bytes.Equal(got[i], bodies[i]) {
			t.Errorf("object %d: got %+v %q", i, hs[i], got[i])
		}
	}
}

func TestBatchReaderRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"abc blob 5 x\nhi\n",           // truncated body
		"abc blob 2 x\nhiX",            // missing LF terminator
		"abc blob -1 x\n",              // negative size
		"abc blob notanumber x\n",      // bad size
		"abc\n",                        // no type
		"abc blob 1 x",                 // header without LF
		" blob 1 x\na\n",               // empty oid
		"abc blob 99999999999999999\n", // absurd size
	} {
		if _, _, err := readAll([]byte(in)); !errors.Is(err, ErrBatchProtocol) {
			t.Errorf("%q: err = %v, want ErrBatchProtocol", in, err)
		}
	}
}

// FuzzBatchReader: the reader never panics, and whatever it accepts
// re-encodes to output it reads back identically.
func FuzzBatchReader(f *testing.F) {
	f.Add([]byte("45b983be36b73c0788dc9cbcb76cbb80fc7bb057 blob 3 b.txt\nhi\n\n"))
	f.Add([]byte("x missing\nabc blob 0 \n\n"))
	f.Add([]byte("abc blob 2 x\nhiX"))
	f.Add([]byte("abc tree 1 a b c\n\x00\n"))
	f.Add([]byte("abc blob 1099511627776 huge\nabc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hs, bodies, err := readAll(data)
		if err != nil {
			return
		}
		hs2, bodies2, err := readAll(encodeBatch(hs, bodies))
		if err != nil || len(hs2) != len(hs) {
			t.Fatalf("accepted %q but not its re-encoding: %v", data, err)
		}
		for i := range hs {
			if hs[i] != hs2[i] || !bytes.Equal(bodies[i], bodies2[i]) {
				t.Fatalf("object %d of %q changed on re-encoding: %+v vs %+v", i, data, hs[i], hs2[i])
			}
		}
	})
}

// FuzzParseHunkHeader: never panics; accepted headers have sane ranges.
func FuzzParseHunkHeader(f *testing.F) {
	for _, s := range []string{"@@ -1,2 +3,4 @@", "@@ -0,0 +1 @@ func()", "@@ -1 +1,0 @@", "@@ -a +b @@", "@@@ -1 -1 +1 @@@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := parseHunkHeader(line)
		if ok && (r.start < 0 || r.count < 0) {
			t.Fatalf("%q: negative range %+v", line, r)
		}
	})
}

// FuzzParseRaw: the raw and log parsers never panic on arbitrary input,
// and the attribution reader only ever attributes a pair it was asked for,
// to a commit the output named.
func FuzzParseRaw(f *testing.F) {
	f.Add([]byte(":100644 100644 aaa bbb M\x00a.txt\x00:000000 100644 000 ccc R100\x00old\x00new\x00"))
	f.Add([]byte("\x01abc\x00a@x\x00\n:000000 100644 0 bbb A\x00b.txt\x00"))
	f.Add([]byte("\x01abc\x00a@x\x00\n:000000 100644 0 bbb D\x00b.txt\x00\x01def\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = parseRaw(data)
		want := map[blobAt]bool{{"bbb", "b.txt"}: true, {"ccc", "c.txt"}: true}
		found, err := readOrigins(bytes.NewReader(data), want)
		if err != nil {
			return
		}
		for k, o := range found {
			if !want[k] || !bytes.Contains(data, []byte("\x01"+o.commit)) {
				t.Fatalf("%q: attributed %+v to %+v", data, k, o)
			}
		}
	})
}
