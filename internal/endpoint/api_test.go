package endpoint

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNewAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, base, want, err string
	}{
		{"default", "", "https://api.example.org/v4/self", ""},
		{"sub-path", "https://example.org/gitlab/", "https://example.org/gitlab/v4/self", ""},
		{"loopback http", "http://127.0.0.1:9/", "http://127.0.0.1:9/v4/self", ""},
		{"remote http", "http://example.org/", "", "plain http only to a loopback address"},
		{"query", "https://example.org/?x=1", "", "no query or fragment"},
		{"credentials", "https://user:pw@example.org/", "", "no credentials"},
	}
	for _, tt := range tests {
		a, err := NewAPI("test URL", tt.base, "https://api.example.org/", nil, false, "v4", "self")
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "test URL: ")):
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
		case tt.err == "" && (err != nil || a.URL.String() != tt.want):
			t.Errorf("%s: %v %v, want %s", tt.name, a.URL, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: the error quotes the password", tt.name)
		}
	}
}

func TestAPIDoCapsAndSetsUserAgent(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
			return
		}
		w.Write([]byte(r.UserAgent() + strings.Repeat("x", 100)))
	}))
	defer srv.Close()
	a, err := NewAPI("test", srv.URL, "", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	a.UserAgent = "lg-test"
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, body, err := a.Do(req, 10)
	if err != nil || resp.StatusCode != 200 || string(body) != "lg-testxxx" {
		t.Fatalf("%v %q %v", resp, body, err)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/away", nil)
	if resp, _, err := a.Do(req, 10); err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %v %v, want the 302 as the answer", resp, err)
	}
}
