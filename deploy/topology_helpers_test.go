package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sh runs a command and fails the test when it fails.
func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
	return string(out)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// netLab is the test's network: a service address on loopback in this (root) namespace, where the
// Temporal server, the PostgreSQL proxy and the channel systems listen, and one network namespace per xinyong
// host, joined to this namespace by a veth pair (host side 10.N.k.1, namespace side 10.N.k.2) with its default
// route through it. Cutting a host's network is setting its host-side link down.
type netLab struct {
	t      *testing.T
	prefix string // "10.N"
	tag    string // random part of every name, so that runs never collide
	svcIP  string
	hosts  map[string]*labHost
}

type labHost struct {
	name, ns, hostLink, nsLink, ip string
}

func newNetLab(t *testing.T) *netLab {
	t.Helper()
	b := make([]byte, 1)
	_, _ = rand.Read(b)
	l := &netLab{t: t, prefix: fmt.Sprintf("10.%d", 100+int(b[0])%100), tag: randHex(2), hosts: map[string]*labHost{}}
	l.svcIP = l.prefix + ".250.1"
	t.Cleanup(l.teardown)
	// On loopback (not every kernel has the dummy link type): local to this namespace, reachable from every host.
	sh(t, "ip", "addr", "add", l.svcIP+"/32", "dev", "lo")
	return l
}

// host creates a namespace named after the host, e.g. "w1", with address 10.N.k.2.
func (l *netLab) host(name string, k int) *labHost {
	l.t.Helper()
	h := &labHost{name: name, ns: "xy" + l.tag + "-" + name, hostLink: "xy" + l.tag + name + "h", nsLink: "xy" + l.tag + name + "n",
		ip: fmt.Sprintf("%s.%d.2", l.prefix, k)}
	l.hosts[name] = h
	gw := fmt.Sprintf("%s.%d.1", l.prefix, k)
	sh(l.t, "ip", "netns", "add", h.ns)
	sh(l.t, "ip", "link", "add", h.hostLink, "type", "veth", "peer", "name", h.nsLink)
	sh(l.t, "ip", "link", "set", h.nsLink, "netns", h.ns)
	sh(l.t, "ip", "addr", "add", gw+"/24", "dev", h.hostLink)
	sh(l.t, "ip", "link", "set", h.hostLink, "up")
	sh(l.t, "ip", "-n", h.ns, "link", "set", "lo", "up")
	sh(l.t, "ip", "-n", h.ns, "addr", "add", h.ip+"/24", "dev", h.nsLink)
	sh(l.t, "ip", "-n", h.ns, "link", "set", h.nsLink, "up")
	sh(l.t, "ip", "-n", h.ns, "route", "add", "default", "via", gw)
	return h
}

func (l *netLab) setLink(h *labHost, up bool) {
	l.t.Helper()
	state := "down"
	if up {
		state = "up"
	}
	sh(l.t, "ip", "link", "set", h.hostLink, state)
}

func (l *netLab) teardown() {
	for _, h := range l.hosts {
		_ = exec.Command("ip", "netns", "del", h.ns).Run() // takes the veth pair with it
		_ = exec.Command("ip", "link", "del", h.hostLink).Run()
	}
	_ = exec.Command("ip", "addr", "del", l.svcIP+"/32", "dev", "lo").Run()
	out, _ := exec.Command("ip", "-o", "link").CombinedOutput()
	if strings.Contains(string(out), "xy"+l.tag) {
		l.t.Errorf("links of this run left behind:\n%s", out)
	}
	out, _ = exec.Command("ip", "-o", "addr", "show", "dev", "lo").CombinedOutput()
	if strings.Contains(string(out), l.svcIP+"/") {
		l.t.Errorf("service address %s left on lo", l.svcIP)
	}
	out, _ = exec.Command("ip", "netns", "list").CombinedOutput()
	if strings.Contains(string(out), "xy"+l.tag) {
		l.t.Errorf("namespaces of this run left behind:\n%s", out)
	}
}

// tcpProxy forwards a listener on the service address to PostgreSQL, which listens on loopback only: the
// namespaces reach the database through it as hosts reach a database server.
type tcpProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
}

func newTCPProxy(t *testing.T, listen, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	require.NoError(t, err)
	p := &tcpProxy{ln: ln, conns: map[net.Conn]bool{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c, target)
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *tcpProxy) pipe(c net.Conn, target string) {
	u, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.track(c, true)
	p.track(u, true)
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(u, c)
	go cp(c, u)
	<-done
	<-done
	c.Close()
	u.Close()
	p.track(c, false)
	p.track(u, false)
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// proc is one long-running process of the topology (Temporal server, a worker, an API server), optionally inside
// a network namespace, with its output in a log file shown when the test fails.
type proc struct {
	t       *testing.T
	name    string
	ns      string
	argv    []string
	env     []string
	logPath string
	lives   int
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

func (p *proc) start() {
	p.t.Helper()
	p.lives++
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(p.t, err)
	fmt.Fprintf(f, "\n===== %s, life %d =====\n", p.name, p.lives)
	argv := p.argv
	if p.ns != "" {
		// ip netns exec execs the program after entering the namespace: the pid is the program's.
		argv = append([]string{"ip", "netns", "exec", p.ns}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so a signal to the test does not reach it first and cleanup can reap it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(p.t, cmd.Start(), p.name)
	exited := make(chan struct{})
	p.cmd, p.exited, p.waitErr = cmd, exited, nil
	go func() {
		p.waitErr = cmd.Wait()
		f.Close()
		close(exited)
	}()
	if p.lives == 1 {
		p.t.Cleanup(func() {
			p.stop(10 * time.Second)
			if p.t.Failed() {
				p.t.Logf("%s log (last lines):\n%s", p.name, tail(p.logPath, 60))
			}
		})
	}
}

func (p *proc) running() bool {
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// kill9 is kill -9, and waits until the process is gone.
func (p *proc) kill9() {
	p.t.Helper()
	require.True(p.t, p.running(), "%s runs before the kill", p.name)
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.exited
	ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(p.t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "%s died of SIGKILL: %v", p.name, p.waitErr)
}

// stop sends SIGTERM and kills after grace.
func (p *proc) stop(grace time.Duration) {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func tail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	ls := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// eventually polls cond every 250 ms until it holds or timeout passes; it fails at once when one of the watched
// processes died.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string), watch ...*proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		for _, p := range watch {
			if p.exited != nil && !p.running() {
				t.Fatalf("%s exited while waiting for %s: %v\n%s", p.name, what, p.waitErr, tail(p.logPath, 80))
			}
		}
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s\nlast state: %s", timeout, what, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// parallel runs f(i) for i in [0, n) on k goroutines and returns the first error.
func parallel(ctx context.Context, n, k int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idx := make(chan int)
	errc := make(chan error, k)
	var wg sync.WaitGroup
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				if err := f(ctx, i); err != nil {
					errc <- err
					cancel()
					return
				}
			}
		}()
	}
	go func() {
		defer close(idx)
		for i := range n {
			select {
			case idx <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errc)
	var errs []error
	for e := range errc {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}
