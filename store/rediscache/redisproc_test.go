package rediscache

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

// redisProc is a throw-away redis-server owned by one test: no persistence,
// loopback only, stopped by its PID when the test ends.
type redisProc struct {
	t    *testing.T
	bin  string
	port string
	cmd  *exec.Cmd
}

// startRedis starts a private redis-server on a free port. It skips the test
// if redis-server is not installed (fails under LEAKGUARD_REQUIRE_SERVICES=1).
func startRedis(t *testing.T) *redisProc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipOrFail(t, "redis-server not installed: %v", err)
	}
	p := &redisProc{t: t, bin: bin, port: freePort(t)}
	p.start()
	t.Cleanup(p.kill)
	return p
}

// url is the server's redis:// URL.
func (p *redisProc) url() string { return "redis://127.0.0.1:" + p.port + "/0" }

// start runs the server and waits until it answers PING.
func (p *redisProc) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, "--port", p.port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + p.port, ContextTimeoutEnabled: true,
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
func (p *redisProc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := syscall.Kill(p.cmd.Process.Pid, sig); err != nil {
		p.t.Fatalf("signal %v to redis-server: %v", sig, err)
	}
}

// pause freezes the server (SIGSTOP): connections are accepted by the
// kernel but nothing answers.
func (p *redisProc) pause() { p.signal(syscall.SIGSTOP) }

// resume continues a paused server (SIGCONT).
func (p *redisProc) resume() { p.signal(syscall.SIGCONT) }

// kill stops the server with SIGKILL (works while paused too) and reaps it.
func (p *redisProc) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// restart kills the server and starts an empty one on the same port.
func (p *redisProc) restart() {
	p.t.Helper()
	p.kill()
	p.start()
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer func() { _ = l.Close() }()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
