package webhook_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// floodServerEnv makes TestPartnerFloodServer run: it is the server half
// of BenchmarkPartnerFloodRSS, started by the benchmark as a child process
// so that the peak RSS measured is the server's alone.
const floodServerEnv = "LEAKGUARD_PARTNER_FLOOD_SERVER"

// Flood shape: per kind, this many concurrent posts of floodBytes.
const (
	floodPosts = 150
	floodBytes = 5 << 20
)

// BenchmarkPartnerFloodRSS starts the partner endpoint (default Config,
// the real http.Server with its timeouts) in a child process, then fires
// at once 150 posts of 5 MiB under an unknown key identifier and 150
// under the known key with a bad signature (half with Content-Length,
// half chunked), and reports the child's peak RSS (VmHWM) before and
// after. Run it with -benchtime 1x; Linux only.
func BenchmarkPartnerFloodRSS(b *testing.B) {
	if testing.Short() || runtime.GOOS != "linux" {
		b.Skip("needs Linux and a non-short run")
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestPartnerFloodServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), floodServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	ready := floodLine(b, lines, "FLOOD-READY")
	base := floodLine(b, lines, "FLOOD-HWM")
	url, keyID := ready[0], ready[1]
	outcomes := map[string]int{}
	for b.Loop() {
		for k, n := range flood(url, keyID) {
			outcomes[k] += n
		}
	}
	_ = stdin.Close() // the child reports its peak and exits
	peak := floodLine(b, lines, "FLOOD-HWM")
	baseKB, _ := strconv.Atoi(base[0])
	peakKB, _ := strconv.Atoi(peak[0])
	b.ReportMetric(float64(baseKB)/1024, "base-RSS-MB")
	b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MB")
	keys := make([]string, 0, len(outcomes))
	for k := range outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.Logf("%-40s %d", k, outcomes[k])
	}
}

// floodLine reads the child's stdout up to a line starting with tag and
// returns the fields after it.
func floodLine(b *testing.B, lines *bufio.Scanner, tag string) []string {
	b.Helper()
	for lines.Scan() {
		if f := strings.Fields(lines.Text()); len(f) > 1 && f[0] == tag {
			return f[1:]
		}
	}
	b.Fatalf("child ended before %s (%v)", tag, lines.Err())
	return nil
}

// flood fires the posts at once and counts their outcomes by kind.
func flood(url, knownKey string) map[string]int {
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	// A well-formed signature made by no listed key.
	const sig = "MEUCIFLZzeK++IhS+y276SRk2Pe5LfDrfvTXu6iwKKcFGCrvAiEAhHN2kDOhy2I6eGkOFmxNkOJ+L2y8oQ9A2T9GGJo6WJY="
	var (
		mu  sync.Mutex
		out = map[string]int{}
		wg  sync.WaitGroup
	)
	start := make(chan struct{})
	post := func(kind, keyID string, chunked bool) {
		defer wg.Done()
		var body io.Reader = newFiller(floodBytes)
		if chunked {
			body = onlyReader{body}
		}
		req, _ := http.NewRequest("POST", url+partnerPath, body)
		if !chunked {
			req.ContentLength = floodBytes
		}
		req.Header.Set("Github-Public-Key-Identifier", keyID)
		req.Header.Set("Github-Public-Key-Signature", sig)
		<-start
		var res string
		if resp, err := client.Do(req); err != nil {
			// The server answers without reading the body and closes the
			// connection: the client may see that as a reset mid-write.
			msg := err.Error()
			res = "error: " + msg[strings.LastIndex(msg, ": ")+2:]
		} else {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			res = strconv.Itoa(resp.StatusCode)
		}
		mu.Lock()
		out[kind+" "+res]++
		mu.Unlock()
	}
	for i := range floodPosts {
		wg.Add(2)
		go post("unknown key", fmt.Sprint("unknown-", i), i%2 == 1)
		go post("known key, bad signature", knownKey, i%2 == 1)
	}
	close(start)
	wg.Wait()
	return out
}

// TestPartnerFloodServer is BenchmarkPartnerFloodRSS's child: it serves
// the partner endpoint until its stdin closes, printing its address, the
// known key identifier and VmHWM after start-up and again at the end.
func TestPartnerFloodServer(t *testing.T) {
	if os.Getenv(floodServerEnv) == "" {
		t.Skip("child of BenchmarkPartnerFloodRSS only")
	}
	e := newEnv(t, nil)
	resp, out := e.postSigned(t, batch(t, item("not-ours", ""))) // fetches the keys
	wantStatus(t, resp, out, http.StatusOK)
	hs := e.srv.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	runtime.GC()
	debug.FreeOSMemory()
	fmt.Printf("FLOOD-READY http://%s %s\n", ln.Addr(), e.signer.ID)
	fmt.Printf("FLOOD-HWM %d\n", vmHWM(t))
	_, _ = io.Copy(io.Discard, os.Stdin)
	fmt.Printf("FLOOD-HWM %d\n", vmHWM(t))
}

// vmHWM is this process's peak resident set size in KiB.
func vmHWM(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
