package github_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/github/partnertest"
)

// streamKeys starts a keys URL that answers status and then writes chunk
// over and over, up to 64 MiB, for as long as the client reads. It
// reports the bytes it wrote.
func streamKeys(t *testing.T, status int, declare int64, prefix, chunk string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if declare > 0 {
			w.Header().Set("Content-Length", strconv.FormatInt(declare, 10))
		}
		w.WriteHeader(status)
		n, err := io.WriteString(w, prefix)
		written.Add(int64(n))
		for err == nil && written.Load() < 64<<20 && r.Context().Err() == nil {
			n, err = io.WriteString(w, chunk)
			written.Add(int64(n))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &written
}

// TestKeyListCapped: a key list over MaxKeyListBytes, streamed
// without end, declared too long, or behind an error status, fails the
// fetch promptly with ErrKeysUnavailable after reading about the cap; a
// list just under the cap is used.
func TestKeyListCapped(t *testing.T) {
	t.Parallel()
	k := partnertest.NewKey(t, "k1")
	entry := fmt.Sprintf(`{"key_identifier":%q,"key":%q,"is_current":true},`, k.ID, k.PEM)
	valid := `{"public_keys":[` + strings.TrimSuffix(entry, ",") + `]}`
	tests := []struct {
		name          string
		status        int
		declare       int64
		prefix, chunk string
		ok            bool
	}{
		{"endless list", http.StatusOK, 0, `{"public_keys":[`, entry, false},
		{"endless error body", http.StatusInternalServerError, 0, `{"message":"`, strings.Repeat("x", 4096), false},
		{"declared over the cap", http.StatusOK, github.MaxKeyListBytes + 1, `{"public_keys":[`, entry, false},
		{"valid list then endless whitespace", http.StatusOK, 0, valid, strings.Repeat(" ", 4096), false},
		{"list just under the cap", http.StatusOK, github.MaxKeyListBytes - 1, valid + strings.Repeat(" ", github.MaxKeyListBytes-1-len(valid)), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var srv *httptest.Server
			var written *atomic.Int64
			if tc.ok {
				srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					_, _ = io.WriteString(w, tc.prefix)
				}))
				t.Cleanup(srv.Close)
				written = new(atomic.Int64)
			} else {
				srv, written = streamKeys(t, tc.status, tc.declare, tc.prefix, tc.chunk)
			}
			ks := github.NewKeySource(srv.Client(), srv.URL, nil, zerolog.Nop())
			ks.FetchTimeout = 2 * time.Minute
			start := time.Now()
			key, err := ks.Key(context.Background(), k.ID)
			if tc.ok {
				if err != nil || key == nil {
					t.Fatalf("Key = %v, %v; want the key", key, err)
				}
				return
			}
			if !errors.Is(err, github.ErrKeysUnavailable) {
				t.Fatalf("Key error = %v, want ErrKeysUnavailable", err)
			}
			if d := time.Since(start); d > time.Minute {
				t.Errorf("fetch took %v: stopped by its timeout, not the cap", d)
			}
			// The server outruns the client by the sockets' buffers, a few MiB.
			if n := written.Load(); n > 32<<20 {
				t.Errorf("keys URL wrote %d MiB before the fetch gave up, want about 1", n>>20)
			}
		})
	}
}

// TestKeysUnavailableRetryAfter: while the key list cannot be fetched, an
// uncached identifier is ErrKeysUnavailable (never ErrUnknownKey) and the
// error says when the next fetch is allowed, for a Retry-After header.
func TestKeysUnavailableRetryAfter(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ks := github.NewKeySource(srv.Client(), srv.URL, func() time.Time { return now }, zerolog.Nop())
	for _, tc := range []struct {
		name string
		want time.Duration
	}{
		{"fetch fails", ks.RetryAfterFail},
		{"refetch not due yet", ks.RetryAfterFail - 2*time.Second},
	} {
		_, err := ks.Key(context.Background(), "k1")
		if errors.Is(err, github.ErrUnknownKey) || !errors.Is(err, github.ErrKeysUnavailable) {
			t.Fatalf("%s: Key error = %v, want ErrKeysUnavailable", tc.name, err)
		}
		var ra interface{ RetryAfter() time.Duration }
		if !errors.As(err, &ra) {
			t.Fatalf("%s: %v has no RetryAfter", tc.name, err)
		}
		if got := ra.RetryAfter(); got != tc.want {
			t.Errorf("%s: RetryAfter = %v, want %v", tc.name, got, tc.want)
		}
		now = now.Add(2 * time.Second)
	}
}
