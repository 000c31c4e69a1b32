package gitsource

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// progress counts what a history scan has read and, when a writer is set
// (a terminal), redraws one status line on it twice a second.
// HistoryStats counts the blobs and bytes a history scan has read. Its
// counters may be read while the scan runs (progress displays).
type HistoryStats struct {
	Blobs, Bytes atomic.Int64
}

func (p *HistoryStats) add(size int64) {
	p.Blobs.Add(1)
	p.Bytes.Add(size)
}

// show redraws the status line on w until ctx ends, then clears it.
func (p *HistoryStats) show(ctx context.Context, w io.Writer) {
	if w == nil {
		return
	}
	start := time.Now()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprint(w, "\r\033[K")
			return
		case <-t.C:
			mb := float64(p.Bytes.Load()) / (1 << 20)
			fmt.Fprintf(w, "\r\033[Kleakguard: %d blobs, %.0f MiB scanned, %.0f MiB/s",
				p.Blobs.Load(), mb, mb/time.Since(start).Seconds())
		}
	}
}
