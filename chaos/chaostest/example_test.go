package chaostest_test

// An Example function cannot receive a *testing.T, and chaostest exists to
// serve one. So the examples of this package are the tests below, named
// TestExample…: read them as the code to copy into your own tests.

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
)

// checkout is the code under test: it charges a card through a fault point
// and retries once on an injected failure.
func checkout(ctx context.Context, charge *chaos.Point) (attempts int, err error) {
	for attempts = 1; attempts <= 2; attempts++ {
		if err = charge.Inject(ctx); err == nil {
			return attempts, nil
		}
	}
	return attempts - 1, err
}

// TestExampleEnable shows the usual shape of a test: an engine seeded for
// this test (a failure prints the seed, and -faultline.seed replays it),
// and a plan enabled for the rest of the test. At cleanup the previous plan
// comes back, and a rule that named no evaluated point fails the test.
func TestExampleEnable(t *testing.T) {
	e := chaostest.New(t)
	chaostest.Enable(t, e, "payments.charge=1*error(card declined)")

	attempts, err := checkout(context.Background(), e.Point("payments.charge"))
	if err != nil || attempts != 2 {
		t.Fatalf("checkout = %d attempts, %v; want success on the retry", attempts, err)
	}
}

// TestExampleSynctest shows a time-dependent test. Inside a
// testing/synctest bubble time is fake: a minute of injected latency and a
// deadline pass in no real time, and the times are exact.
func TestExampleSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaostest.New(t)
		chaostest.Enable(t, e, "db.query=delay(1m)")

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		err := e.Point("db.query").Inject(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 30*time.Second {
			t.Fatalf("Inject = %v after %v; want the 30s deadline", err, time.Since(start))
		}
	})
}

// TestExampleStats shows asserting on what fired, through the engine's
// counters.
func TestExampleStats(t *testing.T) {
	e := chaostest.New(t)
	chaostest.Enable(t, e, "sql.*=3*badconn")

	for range 10 {
		_ = e.Point("sql.query").Inject(context.Background())
	}
	if s := e.Stats().Points[0]; s.ByKind[faults.KindBadConn] != 3 || s.Evaluations != 10 {
		t.Fatalf("stats %+v, want 3 bad connections in 10 calls", s)
	}
}
