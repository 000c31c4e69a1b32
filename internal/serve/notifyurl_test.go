package serve

import (
	"strings"
	"testing"
)

func TestCheckNotifyURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		raw       string
		allowHTTP bool
		ok        bool
	}{
		{"https", "https://hooks.example.org/leakguard", false, true},
		{"https with port and query", "https://hooks.example.org:8443/in?team=sec", false, true},
		{"http to 127.0.0.1", "http://127.0.0.1:8080/events", false, true},
		{"http to 127.0.0.0/8", "http://127.8.9.10/events", false, true},
		{"http to ::1", "http://[::1]:9000/", false, true},
		{"http to localhost", "http://localhost:9000/", false, true},
		{"http to LOCALHOST", "http://LOCALHOST:9000/", false, true},
		{"http to a remote host", "http://hooks.example.org/leakguard", false, false},
		{"http to a private address", "http://10.0.0.5/leakguard", false, false},
		{"http to a remote host, allowed", "http://hooks.example.org/leakguard", true, true},
		{"file", "file:///var/spool/events", false, false},
		{"file, http allowed", "file:///var/spool/events", true, false},
		{"typo scheme", "htp:/hooks.example.org", false, false},
		{"ftp", "ftp://hooks.example.org/", false, false},
		{"not a url", "not a url", false, false},
		{"relative path", "/leakguard", false, false},
		{"scheme-relative", "//hooks.example.org/leakguard", false, false},
		{"no host", "https:///leakguard", false, false},
		{"opaque", "https:hooks.example.org", false, false},
		{"bad escape", "https://hooks.example.org/%zz", false, false},
		{"password", "https://user:hunter2@hooks.example.org/leakguard", false, false},
		{"user only", "https://hunter2@hooks.example.org/leakguard", false, false},
		{"password, http allowed", "http://user:hunter2@hooks.example.org/", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkNotifyURL(tc.raw, tc.allowHTTP)
			if got := err == nil; got != tc.ok {
				t.Fatalf("checkNotifyURL(%q, %v) = %v, want ok=%v", tc.raw, tc.allowHTTP, err, tc.ok)
			}
			if err == nil {
				return
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "--notify-url: ") || !strings.Contains(msg, "https") {
				t.Errorf("message %q does not name the flag and what it accepts", msg)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("message %q repeats the URL's credentials", msg)
			}
		})
	}
}
