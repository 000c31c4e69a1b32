//go:build unix

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakguard/leakguard/internal/interrupt"
)

// child is one run of the built binary, for the signal tests.
type child struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr syncBuffer
	done   chan struct{}
	err    error
}

// startChild starts bin with args; prepare may set stdin and extra files.
func startChild(t *testing.T, bin string, prepare func(*exec.Cmd), args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), "LEAKGUARD_DB=", "LEAKGUARD_REDIS=", "NO_COLOR=1")
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if prepare != nil {
		prepare(c.cmd)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

// wait waits up to d for the child and returns its exit code, or -1 with
// ok false if it is still running.
func (c *child) wait(d time.Duration) (code int, ok bool) {
	select {
	case <-c.done:
		return c.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return -1, false
	}
}

// killedBySignal reports whether the child died of a signal it did not
// handle (sent before the program had set up its handlers).
func (c *child) killedBySignal() bool {
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}

// signalChild starts bin, waits until it is blocked, sends sig (twice when
// again is set) and returns the exit code and how long the child took to
// end after the first signal. A signal that arrives before the program
// handles signals kills it: the run is repeated, waiting longer first.
func signalChild(t *testing.T, bin string, prepare func(*exec.Cmd), sig os.Signal, again bool, args ...string) (int, time.Duration, string) {
	t.Helper()
	for delay := 300 * time.Millisecond; ; delay *= 2 {
		c := startChild(t, bin, prepare, args...)
		time.Sleep(delay)
		sent := time.Now()
		if err := c.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if again {
			time.Sleep(100 * time.Millisecond)
			_ = c.cmd.Process.Signal(sig)
		}
		code, ok := c.wait(signalGrace + 5*time.Second)
		if !ok {
			t.Fatalf("%v still running %s after %v; stderr:\n%s", args, signalGrace+5*time.Second, sig, string(c.stderr.Bytes()))
		}
		if c.killedBySignal() && delay < 5*time.Second {
			continue
		}
		return code, time.Since(sent), string(c.stderr.Bytes())
	}
}

// neverEndingStdin gives the child a pipe as stdin whose write end stays
// open until the test ends.
func neverEndingStdin(t *testing.T, data string) func(*exec.Cmd) {
	return func(cmd *exec.Cmd) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteString(data); err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = r
		t.Cleanup(func() { r.Close(); w.Close() })
	}
}

func newFIFO(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return p
}

// TestBinarySignalsAndPipes runs the built binary (built once for all
// its subtests) on blocked reads, pipes and FIFOs, and serve.
func TestBinarySignalsAndPipes(t *testing.T) {
	t.Parallel()
	bin := buildLeakguard(t)
	t.Run("signals end blocked commands", func(t *testing.T) { t.Parallel(); testSignalsEndBlockedCommands(t, bin) })
	t.Run("pipes and FIFOs", func(t *testing.T) { t.Parallel(); testScanPipesAndFIFOs(t, bin) })
	t.Run("serve exits 0 on SIGTERM", func(t *testing.T) { t.Parallel(); testServeExitsZeroOnSIGTERM(t, bin) })
}

// testSignalsEndBlockedCommands runs the binary where it waits for input
// that never comes and checks that SIGTERM and SIGINT end it at once with
// 143 and 130 (128 + the signal's number), and that what blocks beyond the
// reach of cancellation is ended by the grace period or by a second
// signal.
func testSignalsEndBlockedCommands(t *testing.T, bin string) {
	tok := newToken(t, "leakguard-user")
	tests := []struct {
		name    string
		prepare func(*exec.Cmd)
		sig     syscall.Signal
		again   bool
		args    []string
		want    int
		within  time.Duration
	}{
		{"scan FIFO without writer, SIGTERM", nil, syscall.SIGTERM, false,
			[]string{"scan", newFIFO(t)}, interrupt.ExitTerminated, time.Second},
		{"scan FIFO without writer, SIGINT", nil, syscall.SIGINT, false,
			[]string{"scan", newFIFO(t)}, interrupt.ExitInterrupted, time.Second},
		{"scan - on never-ending stdin", neverEndingStdin(t, tok+"\n"), syscall.SIGTERM, false,
			[]string{"scan", "-"}, interrupt.ExitTerminated, time.Second},
		{"scan --diff on never-ending stdin", neverEndingStdin(t, "diff --git a/x b/x\n"), syscall.SIGTERM, false,
			[]string{"scan", "--diff"}, interrupt.ExitTerminated, time.Second},
		{"token verify on never-ending stdin", neverEndingStdin(t, tok), syscall.SIGINT, false,
			[]string{"token", "verify", "--db", "sqlite:" + filepath.Join(t.TempDir(), "lg.db")}, interrupt.ExitInterrupted, time.Second},
		{"blocked beyond cancellation: grace period", nil, syscall.SIGTERM, false,
			[]string{"scan", "--config", newFIFO(t), t.TempDir()}, interrupt.ExitTerminated, signalGrace + 2*time.Second},
		{"blocked beyond cancellation: second signal", nil, syscall.SIGTERM, true,
			[]string{"scan", "--config", newFIFO(t), t.TempDir()}, interrupt.ExitTerminated, signalGrace - 500*time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, took, stderr := signalChild(t, bin, tt.prepare, tt.sig, tt.again, tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			if took > tt.within {
				t.Errorf("took %v after the signal, want at most %v", took, tt.within)
			}
			if strings.Contains(stderr, tok) {
				t.Error("stderr holds the token")
			}
		})
	}
}

// testScanPipesAndFIFOs runs the binary on a FIFO whose writer comes
// later and on a pipe named as /dev/fd/N (what `scan <(cmd)` passes): both
// are read to the end and their findings reported.
func testScanPipesAndFIFOs(t *testing.T, bin string) {
	tok := newToken(t, "leakguard-user")
	t.Run("FIFO, writer later", func(t *testing.T) {
		t.Parallel()
		p := newFIFO(t)
		c := startChild(t, bin, nil, "scan", "--format", "json", p)
		time.Sleep(200 * time.Millisecond)
		w, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.WriteString("a\n" + tok + "\n")
		w.Close()
		code, ok := c.wait(10 * time.Second)
		if fs := jsonFindings(t, c.stdout.String()); !ok || code != exitFindings || len(fs) != 1 || fs[0].Path != p || fs[0].Line != 2 {
			t.Errorf("exit %d (ended %v), findings %+v; stderr:\n%s", code, ok, fs, string(c.stderr.Bytes()))
		}
	})
	t.Run("pipe as /dev/fd/3", func(t *testing.T) {
		t.Parallel()
		if _, err := os.Stat("/dev/fd/0"); err != nil {
			t.Skip("no /dev/fd")
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		c := startChild(t, bin, func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{r} }, "scan", "--format", "json", "/dev/fd/3")
		_, _ = w.WriteString(tok)
		w.Close()
		code, ok := c.wait(10 * time.Second)
		if fs := jsonFindings(t, c.stdout.String()); !ok || code != exitFindings || len(fs) != 1 {
			t.Errorf("exit %d (ended %v), findings %+v; stderr:\n%s", code, ok, fs, string(c.stderr.Bytes()))
		}
	})
}

// testServeExitsZeroOnSIGTERM: for serve, SIGTERM is the ordinary way to
// stop; a clean drain exits 0, not 143.
func testServeExitsZeroOnSIGTERM(t *testing.T, bin string) {
	c := startChild(t, bin, nil, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "lg.db"))
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(string(c.stderr.Bytes()), "leakguard serving"); {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", string(c.stderr.Bytes()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, ok := c.wait(20 * time.Second); !ok || code != exitOK {
		t.Errorf("exit %d (ended %v), want 0; stderr:\n%s", code, ok, string(c.stderr.Bytes()))
	}
}

// blockingStdin is a stdin that never delivers anything until closed.
func blockingStdin(t *testing.T) io.Reader {
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	return r
}

// TestStdinReadsStopOnCancel: in process, a command reading a stdin that
// never ends returns soon after its context is cancelled.
func TestStdinReadsStopOnCancel(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"scan", "-"},
		{"scan", "--diff"},
		{"token", "verify"},
		{"token", "revoke", "--token-stdin", "--reason", "test"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			sio := IO{Stdin: blockingStdin(t), Stdout: io.Discard, Stderr: io.Discard,
				Getenv: func(string) string { return "" }, Now: time.Now}
			go func() { done <- Run(ctx, args, sio) }()
			time.Sleep(50 * time.Millisecond)
			cancel()
			select {
			case code := <-done:
				if code == exitOK || code == exitFindings {
					t.Errorf("exit %d after cancellation, want a failure", code)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still reading stdin 5 s after cancellation")
			}
		})
	}
}
