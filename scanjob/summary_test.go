package scanjob

import (
	"testing"
	"time"

	"github.com/leakguard/leakguard/scanner"
)

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{5 << 20, "5.0 MiB"}, {3 << 30, "3.0 GiB"}, {1 << 62, "4.0 EiB"},
	}
	for _, tt := range tests {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	two := []scanner.Finding{{Rule: "a"}, {Rule: "a"}}
	tests := []struct {
		name    string
		res     Result
		revoked bool
		want    string
	}{
		{"nothing", Result{}, false, "0 findings (0 rules) in 2ms"},
		{"one", Result{Findings: two[:1], Inputs: 1, Bytes: 10}, false, "1 finding (1 rule); 1 input, 10 B scanned in 2ms"},
		{"everything", Result{Findings: two, Suppressed: 3, Allowed: 1, Revoked: 1, Inputs: 4, Bytes: 2048}, true,
			"2 findings (1 rule), 3 suppressed, 1 allowed inline, 1 token revoked; 4 inputs, 2.0 KiB scanned in 2ms"},
		{"missing objects", Result{Findings: two[:1], Missing: 12}, false,
			"1 finding (1 rule), 12 objects missing (partial clone): not scanned in 2ms"},
		{"one missing object", Result{Missing: 1}, false, "0 findings (0 rules), 1 object missing (partial clone): not scanned in 2ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.res.Summary(tt.revoked, 2*time.Millisecond); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	var s Stats
	s.inputs.Store(3)
	s.bytes.Store(4 << 20)
	s.findings.Store(2)
	if got := s.ProgressLine(500 * time.Millisecond); got != "" {
		t.Errorf("before a second: %q, want nothing", got)
	}
	if got, want := s.ProgressLine(2*time.Second), "scanning: 3 inputs, 4.0 MiB, 2.0 MiB/s, 2 findings"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
