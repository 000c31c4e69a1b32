package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestHelpAndBadFlags: -h prints usage and exits 0; an unknown flag is a
// usage error, exit 2, for every command.
func TestHelpAndBadFlags(t *testing.T) {
	t.Parallel()
	cmds := [][]string{{"scan"}, {"token", "issue"}, {"token", "list"}, {"serve"},
		{"github", "scan"}, {"github", "alerts"}, {"worker"}, {"hook", "install"}}
	for _, c := range cmds {
		name := strings.Join(c, " ")
		for _, tt := range []struct {
			flag string
			code int
		}{{"-h", exitOK}, {"--no-such-flag", exitFail}} {
			t.Run(name+" "+tt.flag, func(t *testing.T) {
				t.Parallel()
				var out, errb bytes.Buffer
				sio := IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
					Getenv: func(string) string { return "" }, Now: time.Now}
				args := append(append([]string(nil), c...), tt.flag)
				if got := Run(context.Background(), args, sio); got != tt.code {
					t.Fatalf("exit %d, want %d; stderr: %s", got, tt.code, errb.String())
				}
				if tt.flag == "-h" && !strings.Contains(strings.ToLower(errb.String()), "usage") {
					t.Errorf("-h printed no usage: %q", errb.String())
				}
			})
		}
	}
}
