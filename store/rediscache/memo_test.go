package rediscache

import (
	"fmt"
	"testing"
	"time"
)

func TestDecodeMemo(t *testing.T) {
	t.Parallel()
	var d decodeMemo
	tok, _ := newToken(t)
	live, err := encodeToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	dead := *tok
	now := time.Now().UTC()
	dead.Valid, dead.InvalidAt, dead.InvalidReason = false, &now, "leaked"
	revoked, _ := encodeToken(&dead)

	a, found, err := d.decode(string(live), tok.Hash)
	if err != nil || !found || !a.Valid || a.ID != tok.ID {
		t.Fatalf("decode = %+v, %v, %v", a, found, err)
	}
	a.Valid, a.Owner = false, "changed" // a caller's copy is its own
	b, _, _ := d.decode(string(live), tok.Hash)
	if !b.Valid || b.Owner != tok.Owner || a == b {
		t.Errorf("second decode = %+v; want a fresh copy of the valid token", b)
	}
	if r, _, err := d.decode(string(revoked), tok.Hash); err != nil || r.Valid || r.InvalidReason != "leaked" {
		t.Errorf("revoked value = %+v, %v; want invalid (a new value is decoded afresh)", r, err)
	}
	if _, _, err := d.decode(string(live), unknownHash(t)); err == nil {
		t.Error("a remembered value under another hash must not decode")
	}
	if tk, found, err := d.decode(string(negativeEntry), unknownHash(t)); err != nil || found || tk != nil {
		t.Errorf("negative entry = %+v, %v, %v", tk, found, err)
	}
	if _, _, err := d.decode(`{"v":9}`, tok.Hash); err == nil {
		t.Error("unknown version decoded")
	}
	for i := range 3 * memoMax {
		_, _, _ = d.decode(fmt.Sprintf(`{"v":3,"found":false,"x":%d}`, i), tok.Hash) // errors: not remembered
		_, _, _ = d.decode(fmt.Sprintf(`{"v":3, "found":false}%*s`, i, ""), tok.Hash)
	}
	if n := len(d.m); n > memoMax {
		t.Errorf("memo holds %d values, cap %d", n, memoMax)
	}
}
