package testenv

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// TCPProxy forwards loopback TCP connections to a target address until a
// test cuts it, so that one client (one "process") can be partitioned from
// a server the others still reach. It is owned by one test and stopped
// when the test ends.
type TCPProxy struct {
	t      testing.TB
	l      net.Listener
	target string
	mode   atomic.Int32 // proxyForward, proxyCut, proxyDrop

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

const (
	proxyForward int32 = iota
	proxyCut           // connections closed, new ones closed at once
	proxyDrop          // connections kept, bytes dropped both ways
)

// NewTCPProxy listens on a free loopback port and forwards to target.
func NewTCPProxy(t testing.TB, target string) *TCPProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &TCPProxy{t: t, l: l, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *TCPProxy) Addr() string { return p.l.Addr().String() }

// Cut closes every connection through the proxy and closes new ones at
// once (the client sees its connections reset: a partition it notices).
func (p *TCPProxy) Cut() {
	p.mode.Store(proxyCut)
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
}

// Drop keeps every connection open but forwards nothing (a partition that
// looks like a silent network: the client's calls time out).
func (p *TCPProxy) Drop() { p.mode.Store(proxyDrop) }

// Restore forwards new connections again (connections cut stay closed;
// bytes dropped are lost).
func (p *TCPProxy) Restore() { p.mode.Store(proxyForward) }

func (p *TCPProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		if p.mode.Load() == proxyCut {
			_ = c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.track(c, s)
		p.wg.Add(2)
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

// track remembers both ends so that Cut and close can close them.
func (p *TCPProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

// pipe copies from src to dst, dropping bytes while the proxy drops, until
// either end closes; then it closes both.
func (p *TCPProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && p.mode.Load() == proxyForward {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// close stops the proxy and closes every connection through it.
func (p *TCPProxy) close() {
	_ = p.l.Close()
	p.Cut()
	p.wg.Wait()
}
