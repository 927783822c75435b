package chaosgo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgo"
)

// TestSameSeedSameFaults checks that, with the same seed and plan, the same
// goroutines (by start order) meet a fault, whatever order the scheduler
// runs them in, and that they are the ones the point alone would pick.
func TestSameSeedSameFaults(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		pct := rapid.IntRange(1, 99).Draw(t, "percent")
		n := rapid.IntRange(1, 40).Draw(t, "goroutines")
		useGroup := rapid.Bool().Draw(t, "group")
		plan := chaos.MustParsePlan(fmt.Sprintf("worker=%d%%error", pct))

		// The reference: the point's own decisions, in call order.
		ref := chaos.New(chaos.WithSeed(seed))
		if err := ref.Apply(plan); err != nil {
			t.Fatal(err)
		}
		want := make([]bool, n)
		for i := range want {
			want[i] = ref.Point("worker").Decide(context.Background()).Fired()
		}

		for range 2 {
			e := chaos.New(chaos.WithSeed(seed))
			if err := e.Apply(plan); err != nil {
				t.Fatal(err)
			}
			got := failedStarts(t, e, n, useGroup)
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d: faulted goroutines %v, want %v", seed, got, want)
			}
		}
	})
}

// failedStarts starts n goroutines at the point "worker" and reports which
// of them a fault kept from running.
func failedStarts(t *rapid.T, e *chaos.Engine, n int, useGroup bool) []bool {
	ctx := context.Background()
	ran := make([]bool, n)
	errs := make([]error, n)
	if useGroup {
		var g chaosgo.Group
		for i := range n {
			g.GoPoint(ctx, e.Point("worker"), func() error { ran[i] = true; return nil })
		}
		_ = g.Wait()
	} else {
		tasks := make([]*chaosgo.Task, n)
		for i := range n {
			tasks[i] = chaosgo.Go(ctx, e.Point("worker"), func(context.Context) error { ran[i] = true; return nil })
		}
		for i, task := range tasks {
			errs[i] = task.Wait()
		}
	}
	failed := make([]bool, n)
	for i := range n {
		failed[i] = !ran[i]
		if !useGroup && failed[i] != errors.Is(errs[i], faults.ErrInjected) {
			t.Fatalf("task %d: ran=%v but Wait()=%v", i, ran[i], errs[i])
		}
	}
	return failed
}
