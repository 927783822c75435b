// Package testservers starts the throwaway servers that the tests of the
// middleware packages run against: a PostgreSQL cluster made by initdb in a
// temporary directory, and a redis-server, each on 127.0.0.1 and a free
// port.
//
// Where a server cannot run (its binaries are not installed, or the
// platform is not Linux) the test asking for it is skipped, with a message
// saying how to install it, or failed when FAULTLINE_REQUIRE_SERVERS=1 (as
// in CI), so that a missing server never hides a gap.
//
// Postgres gives a test a cluster of its own, stopped when the test ends.
// SharedPostgres and Redis give the tests of a package one server each,
// started on first use and stopped by Stop, which the package's TestMain
// calls once m.Run returns:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		testservers.Stop()
//		os.Exit(code)
//	}
package testservers

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// RequireEnv is the environment variable that, set to 1, turns the skip of
// a test whose server cannot run into a failure.
const RequireEnv = "FAULTLINE_REQUIRE_SERVERS"

// Postgres makes a throwaway PostgreSQL cluster for tb, stopped and removed
// when tb ends, and returns the DSN of its postgres database, with user
// postgres and no password. Where no cluster can run it skips or fails tb.
func Postgres(tb testing.TB) (dsn string) {
	tb.Helper()
	dsn, stop, err := startPostgres()
	if err != nil {
		unavailable(tb, "PostgreSQL", "postgresql", err)
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Error(err)
		}
	})
	return dsn
}

// SharedPostgres returns the DSN of the postgres database of the cluster
// that the tests of the package share: made on first use and stopped by
// Stop. Where no cluster can run it skips or fails tb.
func SharedPostgres(tb testing.TB) (dsn string) {
	tb.Helper()
	return sharedPostgres.get(tb)
}

// Redis returns the address (host:port) of the redis-server that the tests
// of the package share: started on first use, with no persistence, and
// stopped by Stop. Where none can run it skips or fails tb.
func Redis(tb testing.TB) (addr string) {
	tb.Helper()
	return sharedRedis.get(tb)
}

// Stop stops and removes the shared servers that were started. TestMain
// calls it after m.Run, before looking for leaked goroutines: those that
// wait for a server's process end with it.
func Stop() {
	for _, s := range []*shared{&sharedPostgres, &sharedRedis} {
		s.stop()
	}
}

var (
	sharedPostgres = shared{what: "PostgreSQL", pkg: "postgresql", start: startPostgres}
	sharedRedis    = shared{what: "Redis server", pkg: "redis-server", start: startRedis}
)

// shared is a server started once for the whole test binary.
type shared struct {
	what, pkg string // for the message when it cannot run
	start     func() (addr string, stop func() error, err error)

	once    sync.Once
	addr    string
	err     error
	mu      sync.Mutex
	stopper func() error
}

func (s *shared) get(tb testing.TB) string {
	tb.Helper()
	s.once.Do(func() {
		var stop func() error
		s.addr, stop, s.err = s.start()
		s.mu.Lock()
		s.stopper = stop
		s.mu.Unlock()
	})
	if s.err != nil {
		unavailable(tb, s.what, s.pkg, s.err)
	}
	return s.addr
}

func (s *shared) stop() {
	s.mu.Lock()
	stop := s.stopper
	s.stopper = nil
	s.mu.Unlock()
	if stop != nil {
		if err := stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

// unavailable skips tb, saying how to install the server, or fails it when
// FAULTLINE_REQUIRE_SERVERS=1.
func unavailable(tb testing.TB, what, pkg string, err error) {
	tb.Helper()
	msg := fmt.Sprintf("no %s for this test: %v; install it with `apt-get install %s` (.ci/services.sh does)", what, err, pkg)
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatal(msg + " (" + RequireEnv + "=1)")
	}
	tb.Skip(msg)
}

// Browser returns the path of a Chromium or Chrome for a test that drives
// a headless browser, or skips tb saying how to install one (fails it when
// FAULTLINE_REQUIRE_SERVERS=1, as in CI, which installs Chromium).
func Browser(tb testing.TB) string {
	tb.Helper()
	names := []string{"chromium", "chromium-browser", "google-chrome"}
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	unavailable(tb, "Chromium or Chrome", "chromium", fmt.Errorf("none of %v is on the PATH", names))
	return ""
}
