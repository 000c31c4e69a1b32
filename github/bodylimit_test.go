package github_test

import (
	"context"
	"errors"
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
)

// TestBodyLimitTransport: bodies up to the cap read whole, declared or
// not; one byte more fails the round trip (declared) or the read that
// passes the cap and every read after (not declared).
func TestBodyLimitTransport(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		_, _ = w.Write(make([]byte, n))
	}))
	defer srv.Close()
	hc := &http.Client{Transport: &github.BodyLimitTransport{Next: srv.Client().Transport, Max: 1000}}
	tests := []struct {
		query string
		over  bool
	}{
		{"n=0", false}, {"n=1000", false}, {"n=1000&chunked=1", false},
		{"n=1001", true}, {"n=1001&chunked=1", true}, {"n=100000&chunked=1", true},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			resp, err := hc.Get(srv.URL + "/?" + tc.query)
			if err != nil {
				if !tc.over || !errors.Is(err, github.ErrResponseTooLarge) {
					t.Fatalf("get: %v", err)
				}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if tc.over {
				if !errors.Is(err, github.ErrResponseTooLarge) || len(b) > 1000 {
					t.Fatalf("read %d bytes, err %v; want at most 1000 and ErrResponseTooLarge", len(b), err)
				}
				if _, err := resp.Body.Read(make([]byte, 10)); !errors.Is(err, github.ErrResponseTooLarge) {
					t.Fatalf("read after the cap: %v, want ErrResponseTooLarge again", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("read %d bytes: %v", len(b), err)
			}
		})
	}
}

// endlessAPI answers every request with status, then prefix and item
// repeated, up to 256 MiB, for as long as the client reads; it reports the
// bytes it wrote.
func endlessAPI(t *testing.T, status int, prefix, item string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		n, err := io.WriteString(w, prefix)
		written.Add(int64(n))
		for err == nil && written.Load() < 256<<20 && r.Context().Err() == nil {
			n, err = io.WriteString(w, item)
			written.Add(int64(n))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &written
}

// TestAPIResponsesCapped: an API page that never ends, or an error body
// that never ends, fails the call promptly after about the cap instead of
// being read until the client's timeout.
func TestAPIResponsesCapped(t *testing.T) {
	t.Parallel()
	repo := `{"full_name":"acme/r","clone_url":"https://github.com/acme/r.git"},`
	alert := `{"number":1,"secret_type":"x","secret":"not-a-real-secret","repository":{"full_name":"acme/r"}},`
	tests := []struct {
		name         string
		status       int
		prefix, item string
		max          int64 // 0: the default
		call         func(*github.Client) error
		wantTooLarge bool
	}{
		{"endless repository page", http.StatusOK, "[", repo, 1 << 20, listRepos, true},
		{"endless repository page, default cap", http.StatusOK, "[", repo, 0, listRepos, true},
		{"endless alert page", http.StatusOK, "[", alert, 1 << 20, listAlerts, true},
		{"endless error body", http.StatusInternalServerError, `{"message":"`, strings.Repeat("x", 4096), 1 << 20, listRepos, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, written := endlessAPI(t, tc.status, tc.prefix, tc.item)
			c, err := github.New(github.Options{
				APIURL: srv.URL, HTTPClient: &http.Client{Timeout: 2 * time.Minute},
				Sleep: (&fakeSleep{}).Sleep, Logger: zerolog.Nop(), MaxResponseBytes: tc.max,
			})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = tc.call(c)
			if err == nil {
				t.Fatal("call succeeded")
			}
			if tc.wantTooLarge && !errors.Is(err, github.ErrResponseTooLarge) {
				t.Errorf("err = %v, want ErrResponseTooLarge", err)
			}
			if d := time.Since(start); d > time.Minute {
				t.Errorf("call took %v: stopped by the client's timeout, not the cap", d)
			}
			capBytes := tc.max
			if capBytes == 0 {
				capBytes = github.DefaultMaxResponseBytes
			}
			// The server outruns the client by the sockets' buffers.
			if n := written.Load(); n > capBytes+32<<20 {
				t.Errorf("server wrote %d MiB, cap %d MiB", n>>20, capBytes>>20)
			}
		})
	}
}

func listRepos(c *github.Client) error {
	_, _, err := c.Repositories(context.Background(), github.Selector{Org: "acme"})
	return err
}

func listAlerts(c *github.Client) error {
	return c.Alerts(context.Background(), "acme", "", func(github.Alert) error { return nil })
}
