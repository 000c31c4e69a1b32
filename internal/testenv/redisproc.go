package testenv

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisProc is a throw-away redis-server owned by one test, for fault
// injection: no persistence, loopback only, and only ever signalled or
// stopped through its own PID (never the shared Redis).
type RedisProc struct {
	t    testing.TB
	bin  string
	port string
	cmd  *exec.Cmd
}

// RedisServer starts a private redis-server on a free port and kills it
// when the test ends. It skips the test if redis-server is not installed
// (fails under LEAKGUARD_REQUIRE_SERVICES=1).
func RedisServer(t testing.TB) *RedisProc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		SkipOrFail(t, "redis-server not installed: %v", err)
	}
	p := &RedisProc{t: t, bin: bin, port: FreePort(t)}
	p.start()
	t.Cleanup(p.Kill)
	return p
}

// URL is the server's redis:// URL (database 0).
func (p *RedisProc) URL() string { return "redis://127.0.0.1:" + p.port + "/0" }

// Addr is the server's host:port.
func (p *RedisProc) Addr() string { return "127.0.0.1:" + p.port }

// Client returns a short-timeout client on the server (no retries), for
// inspecting it; the caller closes it.
func (p *RedisProc) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: p.Addr(), ContextTimeoutEnabled: true,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: time.Second, MaxRetries: -1})
}

// start runs the server and waits until it answers PING.
func (p *RedisProc) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "--port", p.port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: p.Addr(), ContextTimeoutEnabled: true,
		DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer func() { _ = rdb.Close() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("redis-server on %s not ready: %v", p.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signal sends sig to the server process.
func (p *RedisProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
		p.t.Fatalf("signal %v to redis-server: %v", sig, err)
	}
}

// Pause freezes the server (SIGSTOP): connections are accepted by the
// kernel but nothing answers.
func (p *RedisProc) Pause() { p.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (p *RedisProc) Resume() { p.signal(syscall.SIGCONT) }

// Kill stops the server with SIGKILL (works while paused too) and reaps
// it. Calling it again does nothing.
func (p *RedisProc) Kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// Restart kills the server and starts an empty one on the same port.
func (p *RedisProc) Restart() {
	p.t.Helper()
	p.Kill()
	p.start()
}

// FreePort returns a loopback TCP port that was free a moment ago (nothing
// listens on it when it returns).
func FreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer func() { _ = l.Close() }()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
