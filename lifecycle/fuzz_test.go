package lifecycle

import "testing"

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"", "never", "1s", "24h", "90d", "0d", "-1h", "99999999999d", "1.5d", "d", "1e9h", " 7d "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, never, err := ParseExpiry(s)
		if err != nil {
			return
		}
		if never && d != 0 {
			t.Fatalf("ParseExpiry(%q) = %v and never", s, d)
		}
		if d < 0 {
			t.Fatalf("ParseExpiry(%q) = negative %v", s, d)
		}
		if got, gerr := DefaultPolicy().Lifetime(s); gerr == nil && (got <= 0 || got > 365*Day) {
			t.Fatalf("Lifetime(%q) = %v outside (0, 365d]", s, got)
		}
	})
}
