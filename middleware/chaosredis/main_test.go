package chaosredis_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/testservers"
	"github.com/faultline-go/faultline/middleware/chaosredis"
)

func TestMain(m *testing.M) {
	code := m.Run()
	// The server is stopped before looking for leaks: the goroutine that
	// waits for its process ends with it.
	testservers.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// serverAddr returns the address of the redis-server that the tests of
// the package share, or skips or fails t where none can run.
func serverAddr(t testing.TB) string {
	t.Helper()
	return testservers.Redis(t)
}

// newClient returns a client of the shared server, closed when the test
// ends, hooked with e unless e is nil.
func newClient(t testing.TB, e *chaos.Engine, opts ...chaosredis.Option) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: serverAddr(t)})
	if e != nil {
		chaosredis.Wrap(c, e, opts...)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// keyPrefixes holds each test's key prefix: its name and a number, so that
// a test run again with -count finds none of the keys of its last run.
var (
	keyPrefixes sync.Map // testing.TB → string
	keySeq      atomic.Int64
)

// key returns a key private to the test, so that tests share the server.
func key(t testing.TB, name string) string {
	p, ok := keyPrefixes.Load(t)
	if !ok {
		p = fmt.Sprintf("%s:%d", strings.ReplaceAll(t.Name(), "/", ":"), keySeq.Add(1))
		keyPrefixes.Store(t, p)
		t.Cleanup(func() { keyPrefixes.Delete(t) })
	}
	return p.(string) + ":" + name
}

// engine returns a deterministic engine with plan applied.
func engine(t testing.TB, plan string) *chaos.Engine {
	t.Helper()
	e := chaos.New(chaos.WithSeed(1))
	if plan != "" {
		if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// pointStats returns the counters of the point called name.
func pointStats(e *chaos.Engine, name string) chaos.PointStats {
	for _, ps := range e.Stats().Points {
		if ps.Point == name {
			return ps
		}
	}
	return chaos.PointStats{Point: name}
}

var bg = context.Background()
