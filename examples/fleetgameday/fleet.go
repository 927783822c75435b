package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// instance is one instance process of the service.
type instance struct {
	id    string
	base  string // its admin API, as in "http://127.0.0.1:PORT/debug/faultline/"
	addr  string // its host:port
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startFleet starts n instances of the service, orders-1 to orders-n, as
// separate processes of this binary on loopback, all with one seed and
// token, and waits until each listens. Their stderr goes to stderr. stop
// ends every instance that started, even after an error, all at once: it
// closes each one's stdin, which makes it shut down, and kills any that has not
// exited within five seconds.
func startFleet(n int, seed uint64, token string, stderr io.Writer) (fleet []*instance, stop func() error, err error) {
	stop = func() error {
		errs := make([]error, len(fleet))
		var wg sync.WaitGroup
		for i, in := range fleet {
			wg.Go(func() { errs[i] = in.stop() })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	if n < 1 {
		return nil, stop, fmt.Errorf("instances: %d, want at least 1", n)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, stop, fmt.Errorf("finding this binary to run the instances: %w", err)
	}
	for i := 1; i <= n; i++ {
		in, err := startInstance(exe, fmt.Sprintf("orders-%d", i), seed, token, stderr)
		if in != nil {
			fleet = append(fleet, in)
		}
		if err != nil {
			return fleet, stop, err
		}
	}
	return fleet, stop, nil
}

// startInstance starts one instance process and reads the address it
// listens on.
func startInstance(exe, id string, seed uint64, token string, stderr io.Writer) (*instance, error) {
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envInstance+"="+id, envSeed+"="+strconv.FormatUint(seed, 10), envToken+"="+token)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", id, err)
	}
	in := &instance{id: id, cmd: cmd, stdin: stdin}
	addr, err := readListening(stdout)
	if err != nil {
		return in, fmt.Errorf("%s: %w", id, err)
	}
	in.addr, in.base = addr, "http://"+addr+adminPrefix
	return in, nil
}

// stop ends the instance process and waits for it.
func (in *instance) stop() error {
	in.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- in.cmd.Wait() }()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %w", in.id, err)
		}
		return nil
	case <-timer.C:
		in.cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s: did not stop within 5s; killed", in.id)
	}
}
