package redisstreams

import (
	"context"
	"errors"
	"net"
	"testing"
)

func TestDialErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	tests := []struct {
		name   string
		url    string
		badURL bool
	}{
		{"not a redis url", "http://example.org", true},
		{"nothing listening", "redis://" + addr + "/0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, closeQ, err := Dial(context.Background(), tt.url, Options{})
			if err == nil {
				closeQ()
				t.Fatalf("Dial(%q) = %v, want an error", tt.url, q)
			}
			if got := errors.Is(err, ErrBadURL); got != tt.badURL {
				t.Errorf("error %v: ErrBadURL %v, want %v", err, got, tt.badURL)
			}
		})
	}
}
