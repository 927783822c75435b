package chaostest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
)

// errGaveUp is what save returns when a step failed three times.
var errGaveUp = errors.New("store: gave up")

// save is code under test. It retries each step three times; with
// retryRead false it has a planted bug, and does not retry the read.
func save(ctx context.Context, e *chaos.Engine, retryRead bool) error {
	steps := []*chaos.Point{e.Point("store.write"), e.Point("store.read")}
	for i, p := range steps {
		tries := 3
		if i == 1 && !retryRead {
			tries = 1
		}
		var err error
		for range tries {
			if err = p.Inject(ctx); err == nil {
				break
			}
		}
		if err != nil && tries == 3 {
			return fmt.Errorf("%w: %w", errGaveUp, err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// saveBody is the test body: a save may give up after three failures, but
// must not fail on fewer.
func saveBody(retryRead bool) chaostest.Body {
	return func(ctx context.Context, e *chaos.Engine) error {
		if err := save(ctx, e, retryRead); err != nil && !errors.Is(err, errGaveUp) {
			return fmt.Errorf("save failed without retrying: %w", err)
		}
		return nil
	}
}

// ExampleSearch searches the faults at the points the body evaluates for
// the smallest plan that breaks it.
func ExampleSearch() {
	f, err := chaostest.Search(context.Background(), saveBody(false), chaostest.ExploreSeed(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("points:", f.Points)
	fmt.Println("plan:", f.Plan)
	fmt.Println("error:", f.Err)
	// Output:
	// points: [store.read store.write]
	// plan: store.read=1*error
	// error: save failed without retrying: faultline: injected error at store.read
}

// ExamplePlans draws a plan as Search does; in a rapid property, draw it
// with Draw(t, "plan") and let rapid shrink it.
func ExamplePlans() {
	p := chaostest.Plans([]string{"db.query", "cache.get"}).Example(3)
	fmt.Println(p.Validate() == nil, len(p.Rules) >= 1 && len(p.Rules) <= chaostest.DefaultExploreRules)
	// Output:
	// true true
}

// ExampleWaitFired waits, without a sleep, for a goroutine to have
// suffered a fault.
func ExampleWaitFired() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("worker.poll=error[after=2]"))
	p := e.Point("worker.poll")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { // the worker polls until stopped
		defer close(done)
		for ctx.Err() == nil {
			_ = p.Inject(ctx)
		}
	}()
	err := chaostest.WaitFired(context.Background(), p, 1)
	cancel()
	<-done
	fmt.Println(err)
	// Output:
	// <nil>
}

// ExampleWaitEvaluated gives up when its context ends first.
func ExampleWaitEvaluated() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("worker.poll=error"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := chaostest.WaitEvaluated(ctx, e.Point("worker.poll"), 1)
	fmt.Println(err)
	// Output:
	// chaostest: waiting for point "worker.poll" to be evaluated 1 times (0 so far): context deadline exceeded
}

// TestExampleExplore shows Explore in a test, in a testing/synctest bubble
// so that latency faults pass in no real time. This save retries its read,
// so no plan breaks it and the test passes; with saveBody(false) the test
// would fail with the smallest plan (store.read=1*error), the seed and the
// go test commands that replay it.
func TestExampleExplore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chaostest.Explore(t, saveBody(true), chaostest.ExploreRuns(20))
	})
}
