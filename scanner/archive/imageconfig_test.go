package archive

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestWalkImageConfig: every string value of an image config is an entry
// named by its JSON path, in document order; numbers, booleans, nulls and
// keys are not entries.
func TestWalkImageConfig(t *testing.T) {
	t.Parallel()
	const cfg = `{"architecture":"amd64","config":{"Env":["PATH=/usr/bin","API_TOKEN=abc"],` +
		`"Cmd":["--token","abc"],"Labels":{"org.example.token":"abc","v1":"x"},"ExposedPorts":{"80/tcp":{}}},` +
		`"created":"2026-01-01T00:00:00Z","history":[{"created_by":"/bin/sh -c #(nop)  ENV API_TOKEN=abc","empty_layer":true}],` +
		`"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:00"]},"size":12,"x":null}`
	if Detect([]byte(cfg)) != ImageConfig {
		t.Fatal("not detected")
	}
	b := NewBudget(Limits{}, "image.tar!blobs/sha256/c0", func() int64 { return 0 })
	var got []string
	b.Walk(strings.NewReader(cfg), ImageConfig, "image.tar!blobs/sha256/c0", func(p string, r io.Reader) {
		v, _ := io.ReadAll(r)
		got = append(got, strings.TrimPrefix(p, "image.tar!blobs/sha256/c0!image-config")+"="+string(v))
	})
	want := []string{
		".architecture=amd64",
		".config.Env[0]=PATH=/usr/bin",
		".config.Env[1]=API_TOKEN=abc",
		".config.Cmd[0]=--token",
		".config.Cmd[1]=abc",
		`.config.Labels["org.example.token"]=abc`,
		".config.Labels.v1=x",
		".created=2026-01-01T00:00:00Z",
		".history[0].created_by=/bin/sh -c #(nop)  ENV API_TOKEN=abc",
		".os=linux",
		".rootfs.type=layers",
		".rootfs.diff_ids[0]=sha256:00",
	}
	if !slices.Equal(got, want) || b.Problems() != nil {
		t.Errorf("entries\n%q\nwant\n%q\nproblems %v", got, want, b.Problems())
	}
}

// TestWalkImageConfigLimits: the entry budget counts fields, and bytes
// after the config are one more entry, so nothing goes unscanned.
func TestWalkImageConfigLimits(t *testing.T) {
	t.Parallel()
	cfg := `{"a":["1","2","3"],"rootfs":{"diff_ids":[]}}`
	walk := func(data string, lim Limits) ([]string, []error) {
		b := NewBudget(lim, "c", func() int64 { return 0 })
		var got []string
		b.Walk(strings.NewReader(data), ImageConfig, "c", func(p string, r io.Reader) {
			v, _ := io.ReadAll(r)
			got = append(got, p+"="+string(bytes.TrimSpace(v)))
		})
		return got, b.Problems()
	}
	if got, ps := walk(cfg, Limits{MaxEntries: 2}); len(got) != 2 || len(ps) != 1 || !strings.Contains(ps[0].Error(), "more than 2 fields") {
		t.Errorf("entry budget: %q, %v", got, ps)
	}
	if got, ps := walk(cfg+"\ntrailing text\n", Limits{}); len(got) != 4 || got[3] != "c!(after the config)=trailing text" || ps != nil {
		t.Errorf("trailing bytes: %q, %v", got, ps)
	}
}

func TestJSONKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ path, key, want string }{
		{"", "config", "config"},
		{"config", "Env", "config.Env"},
		{"config.Labels", "org.example.a", `config.Labels["org.example.a"]`},
		{"x", "", `x[""]`},
		{"x", "9lives", `x["9lives"]`},
		{"x", "a\"b\n", `x["a\"b\n"]`},
	} {
		if got := jsonKey(tt.path, tt.key); got != tt.want {
			t.Errorf("jsonKey(%q, %q) = %s, want %s", tt.path, tt.key, got, tt.want)
		}
	}
}
