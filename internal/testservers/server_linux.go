//go:build linux

package testservers

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// startPostgres makes a PostgreSQL cluster with initdb in a temporary
// directory and starts it with pg_ctl on 127.0.0.1 and a free port. It
// returns the DSN of its postgres database and a func that stops the
// cluster and removes the directory.
func startPostgres() (dsn string, stop func() error, err error) {
	bin, err := pgBin()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "faultline-pg-")
	if err != nil {
		return "", nil, err
	}
	fail := func(err error) (string, func() error, error) {
		os.RemoveAll(dir)
		return "", nil, err
	}
	// PostgreSQL refuses to run as root: run it as the postgres user, as
	// `su postgres` would, without a shell to quote for.
	var attr *syscall.SysProcAttr
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fail(fmt.Errorf("running as root, and no postgres user to run PostgreSQL as: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(err)
		}
		attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = attr
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return fail(err)
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	opts := fmt.Sprintf("-k %s -h 127.0.0.1 -p %d -c fsync=off -c synchronous_commit=off -c full_page_writes=off", dir, port)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return fail(fmt.Errorf("%v\n%s", err, log))
	}
	stop = func() error {
		err := run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
		os.RemoveAll(dir)
		return err
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), stop, nil
}

// pgBin returns the directory of initdb and pg_ctl: from PATH, or the
// newest Debian /usr/lib/postgresql/N/bin.
func pgBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return "", errors.New("PostgreSQL (initdb, pg_ctl) is not installed")
	}
	version := func(p string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return v
	}
	sort.Slice(bins, func(i, j int) bool { return version(bins[i]) < version(bins[j]) })
	return filepath.Dir(bins[len(bins)-1]), nil
}

// startRedis starts a redis-server on 127.0.0.1 and a free port, with no
// persistence, and waits until it accepts connections. It returns its
// address and a func that stops it and removes its directory.
func startRedis() (addr string, stop func() error, err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errors.New("redis-server is not installed")
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "faultline-redis-")
	if err != nil {
		return "", nil, err
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
		return "", nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-ready.ready:
	case err := <-exited:
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("redis-server exited before it was ready: %v\n%s", err, ready.output())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("redis-server not ready after 30s:\n%s", ready.output())
	}
	stop = func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		return os.RemoveAll(dir)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), stop, nil
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
