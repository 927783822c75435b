//go:build linux

package chaosredis_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// server is the throwaway redis-server the tests of this package share:
// started on first use, on 127.0.0.1 and a free port, with no persistence,
// and stopped by TestMain.
var server struct {
	once sync.Once
	addr string
	err  error
	cmd  *exec.Cmd
	dir  string
}

// startServer starts the shared server once and returns its address.
func startServer() (string, error) {
	server.once.Do(func() { server.addr, server.err = start() })
	return server.addr, server.err
}

func start() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errMissing
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "faultline-redis-")
	if err != nil {
		return "", err
	}
	ready := &watchWriter{want: []byte("Ready to accept connections"), ready: make(chan struct{})}
	cmd := exec.Command(bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir)
	cmd.Stdout = ready
	cmd.Stderr = ready
	// The server dies with the test binary, should it be killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-ready.ready:
	case err := <-exited:
		os.RemoveAll(dir)
		return "", fmt.Errorf("redis-server exited before it was ready: %v\n%s", err, ready.output())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		os.RemoveAll(dir)
		return "", fmt.Errorf("redis-server not ready after 30s:\n%s", ready.output())
	}
	server.cmd, server.dir = cmd, dir
	stopServer = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		os.RemoveAll(dir)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// watchWriter keeps what a server writes and closes ready once it has
// written want.
type watchWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  []byte
	ready chan struct{}
	done  bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() < 1<<16 {
		w.buf.Write(p)
	}
	if !w.done && bytes.Contains(w.buf.Bytes(), w.want) {
		w.done = true
		close(w.ready)
	}
	return len(p), nil
}

func (w *watchWriter) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

var errMissing = errors.New("redis-server is not installed")
