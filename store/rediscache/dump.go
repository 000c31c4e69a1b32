package rediscache

import (
	"context"
	"fmt"
	"io"
)

// dumper is a store that can write all its data as text (the shape of
// storetest.Dumper).
type dumper interface {
	Dump(ctx context.Context, w io.Writer) error
}

// Dump writes next's contents (when next can dump itself) and then every
// key and value under the prefix, one "redis: KEY = VALUE" line each, for
// tests (storetest's canary) and debugging. Unlike lookups it fails when
// Redis does.
func (c *Cache) Dump(ctx context.Context, w io.Writer) error {
	if d, ok := c.Store.(dumper); ok {
		if err := d.Dump(ctx, w); err != nil {
			return err
		}
	}
	it := c.rdb.Scan(ctx, 0, c.opt.Prefix+"*", 500).Iterator()
	for it.Next(ctx) {
		k := it.Val()
		v, err := c.rdb.Get(ctx, k).Result()
		if err != nil {
			// The key may have expired between SCAN and GET.
			continue
		}
		if _, err := fmt.Fprintf(w, "redis: %s = %s\n", k, v); err != nil {
			return fmt.Errorf("rediscache: dump: %w", err)
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("rediscache: dump: %w", err)
	}
	return nil
}
