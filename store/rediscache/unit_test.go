package rediscache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

func TestQueueNeverTradesInvalidForValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		oldValid, valid bool
		wantNew         bool
	}{
		{"valid then valid", true, true, true},
		{"valid then invalid", true, false, true},
		{"invalid then valid", false, true, false},
		{"invalid then invalid", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := newQueue(10)
			old := &write{hash: "h", valid: tt.oldValid}
			w := &write{hash: "h", valid: tt.valid}
			q.add(old)
			if !q.add(w) {
				t.Fatal("add refused")
			}
			snap := q.snapshot()
			if got := snap[0] == w; len(snap) != 1 || got != tt.wantNew {
				t.Fatalf("queued the new write = %v, want %v", got, tt.wantNew)
			}
			q.remove(old)
			q.remove(w)
			if q.len() != 0 || q.has("h") {
				t.Fatal("remove left the write queued")
			}
		})
	}
	q := newQueue(1)
	q.add(&write{hash: "a"})
	if q.add(&write{hash: "b"}) {
		t.Error("a full queue accepted a new hash")
	}
	if !q.add(&write{hash: "a"}) {
		t.Error("a full queue refused to update a queued hash")
	}
}

func TestBreaker(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	b := newBreaker(time.Second, func() time.Time { return now }, zerolog.Nop())
	bg := context.Background()
	boom := errors.New("boom")

	if !b.allow() {
		t.Fatal("closed breaker refused")
	}
	b.done(bg, redis.Nil) // a miss is a success
	if !b.allow() {
		t.Fatal("refused after a miss")
	}
	b.done(bg, boom)
	if b.allow() || !b.isOpen() {
		t.Fatal("allowed during the cool-down")
	}
	now = now.Add(time.Second)
	if !b.allow() {
		t.Fatal("no probe after the cool-down")
	}
	if b.allow() {
		t.Fatal("a second probe while one is in flight")
	}
	cancelled, cancel := context.WithCancel(bg)
	cancel()
	b.done(cancelled, context.Canceled) // the caller gave up: no verdict
	if !b.isOpen() || !b.allow() {
		t.Fatal("a cancelled probe should free the probe slot only")
	}
	b.done(bg, nil)
	if b.isOpen() || !b.allow() {
		t.Fatal("a successful probe should close the breaker")
	}
}

func TestPrefixFromURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, prefix, wantURL, wantPrefix string
	}{
		{"redis://127.0.0.1:6379/15", "", "redis://127.0.0.1:6379/15", DefaultPrefix},
		{"redis://127.0.0.1:6379/15?prefix=acme:", "", "redis://127.0.0.1:6379/15", "acme:"},
		{"redis://127.0.0.1:6379/15?prefix=acme:&dial_timeout=1s", "", "redis://127.0.0.1:6379/15?dial_timeout=1s", "acme:"},
		{"redis://127.0.0.1:6379/15?prefix=acme:", "opt:", "redis://127.0.0.1:6379/15", "opt:"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			o, err := Options{URL: tt.url, Prefix: tt.prefix}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if o.URL != tt.wantURL || o.Prefix != tt.wantPrefix {
				t.Errorf("got %q %q, want %q %q", o.URL, o.Prefix, tt.wantURL, tt.wantPrefix)
			}
		})
	}
}

func TestLocalTTLFromURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url      string
		opt      time.Duration
		wantURL  string
		want     time.Duration
		wantSize int
		wantFail bool
	}{
		{url: "redis://127.0.0.1:6379/15", wantURL: "redis://127.0.0.1:6379/15", want: DefaultLocalTTL},
		{url: "redis://127.0.0.1:6379/15?local_ttl=20ms", wantURL: "redis://127.0.0.1:6379/15", want: 20 * time.Millisecond},
		{url: "redis://127.0.0.1:6379/15?local_ttl=10m&local_size=5000", wantURL: "redis://127.0.0.1:6379/15", want: 10 * time.Minute, wantSize: 5000},
		{url: "redis://127.0.0.1:6379/15?local_ttl=off&prefix=a:", wantURL: "redis://127.0.0.1:6379/15", want: -1},
		{url: "redis://127.0.0.1:6379/15?local_ttl=0", wantURL: "redis://127.0.0.1:6379/15", want: -1},
		{url: "redis://127.0.0.1:6379/15?local_ttl=-5ms&dial_timeout=1s", wantURL: "redis://127.0.0.1:6379/15?dial_timeout=1s", want: -1},
		{url: "redis://127.0.0.1:6379/15?local_ttl=20ms", opt: 10 * time.Millisecond, wantURL: "redis://127.0.0.1:6379/15", want: 10 * time.Millisecond},
		{url: "redis://127.0.0.1:6379/15?local_ttl=soon", wantFail: true},
		{url: "redis://127.0.0.1:6379/15?local_size=0", wantFail: true},
		{url: "redis://127.0.0.1:6379/15?local_size=many", wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			o, err := Options{URL: tt.url, LocalTTL: tt.opt}.withDefaults()
			if tt.wantFail {
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), "local") {
					t.Fatalf("want an error naming the local option, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantSize == 0 {
				tt.wantSize = DefaultLocalSize
			}
			if o.URL != tt.wantURL || o.LocalTTL != tt.want || o.LocalSize != tt.wantSize {
				t.Errorf("got %q %v %d, want %q %v %d", o.URL, o.LocalTTL, o.LocalSize, tt.wantURL, tt.want, tt.wantSize)
			}
		})
	}
}
