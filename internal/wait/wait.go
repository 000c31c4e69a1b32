// Package wait sleeps for a while unless a context ends first. It knows
// nothing of the project.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d, or returns ctx's error when ctx ends first. A d of
// zero or less does not wait: Sleep then returns ctx's error, if any.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
