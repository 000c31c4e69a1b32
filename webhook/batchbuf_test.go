package webhook

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"strconv"
	"testing"
	"testing/iotest"
	"time"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/internal/budget"
)

// TestBatchBufferReadFrom: every size around the chunk size and the cap
// reads back byte for byte from every kind of reader, reserving exactly
// the chunks it holds; one byte over the cap is errBatchTooLarge.
func TestBatchBufferReadFrom(t *testing.T) {
	t.Parallel()
	const limit = 3*batchChunkSize + 10
	readers := map[string]func(io.Reader) io.Reader{
		"plain":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	sizes := []int{0, 1, batchChunkSize - 1, batchChunkSize, batchChunkSize + 1, 3 * batchChunkSize, limit, limit + 1}
	for name, wrap := range readers {
		for _, n := range sizes {
			t.Run(name+"/"+strconv.Itoa(n), func(t *testing.T) {
				t.Parallel()
				in := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
				var reserved int64
				var buf batchBuffer
				defer buf.release()
				err := buf.readFrom(wrap(bytes.NewReader(in)), limit, func(total int64) bool {
					reserved = max(reserved, total)
					return true
				})
				if n > limit {
					if !errors.Is(err, errBatchTooLarge) {
						t.Fatalf("err = %v, want errBatchTooLarge", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := buf.bytes(); !bytes.Equal(got, in) || buf.len() != int64(n) {
					t.Fatalf("read back %d bytes, want %d equal", len(got), n)
				}
				if want := max(chunkBytes(int64(n)), batchChunkSize); reserved != want {
					t.Errorf("reserved %d, want %d", reserved, want)
				}
			})
		}
	}
}

// TestBatchBufferRefused: a refused first reservation reads nothing; a
// refused later one stops the read with ErrBusy.
func TestBatchBufferRefused(t *testing.T) {
	t.Parallel()
	for _, room := range []int64{0, batchChunkSize} {
		r := bytes.NewReader(make([]byte, 2*batchChunkSize))
		var buf batchBuffer
		err := buf.readFrom(r, 1<<20, func(total int64) bool { return total <= room })
		if !errors.Is(err, ErrBusy) {
			t.Errorf("room %d: err = %v, want ErrBusy", room, err)
		}
		if read := 2*batchChunkSize - int64(r.Len()); read > room+1 {
			t.Errorf("room %d: %d bytes read", room, read)
		}
		buf.release()
	}
}

// TestBatchBufferVerify: the chunked signature check agrees with
// github.VerifyPartnerSignature.
func TestBatchBufferVerify(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 2*batchChunkSize+5)
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	var buf batchBuffer
	defer buf.release()
	if err := buf.readFrom(bytes.NewReader(body), 1<<20, func(int64) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if !buf.verify(&priv.PublicKey, sig) || !github.VerifyPartnerSignature(&priv.PublicKey, body, sig) {
		t.Fatal("signature does not verify")
	}
	body[len(body)-1] = 'y'
	buf.release()
	if err := buf.readFrom(bytes.NewReader(body), 1<<20, func(int64) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if buf.verify(&priv.PublicKey, sig) {
		t.Fatal("tampered body verifies")
	}
}

func TestByteBudget(t *testing.T) {
	t.Parallel()
	b := budget.New(100)
	r1, r2 := &reservation{budget: b}, &reservation{budget: b}
	if !r1.growTo(60) || !r1.growTo(40) || r2.growTo(41) || !r2.growTo(40) {
		t.Fatal("reservations do not add up to the budget")
	}
	if got := b.InUse(); got != 100 {
		t.Fatalf("in use %d, want 100", got)
	}
	r1.release()
	r1.release()
	r2.release()
	if got := b.InUse(); got != 0 {
		t.Fatalf("in use %d after release, want 0", got)
	}
}

// retryIn is a retryable error that knows when to retry, as
// github.ErrKeysUnavailable's errors do.
type retryIn time.Duration

func (r retryIn) Error() string             { return "down" }
func (r retryIn) RetryAfter() time.Duration { return time.Duration(r) }

func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{ErrBusy, "5"},
		{retryIn(2500 * time.Millisecond), "3"},
		{retryIn(-time.Second), "1"},
	}
	for _, tc := range tests {
		if got := retryAfterHeader(tc.err); got != tc.want {
			t.Errorf("retryAfterHeader(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
