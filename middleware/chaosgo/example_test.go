package chaosgo_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosgo"
)

// A worker started at a fault point. The second start meets an injected
// error, so the worker does not run that time.
func ExampleGo() {
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan("reindex=1*error(disk full)[after=1]")); err != nil {
		fmt.Println(err)
		return
	}
	reindex := e.Point("reindex") // kept in a variable, looked up once
	ctx := context.Background()
	for i := range 3 {
		task := chaosgo.Go(ctx, reindex, func(ctx context.Context) error {
			fmt.Println("reindexing", i)
			return nil
		})
		if err := task.Wait(); err != nil {
			fmt.Println("error:", err)
		}
	}
	// Output:
	// reindexing 0
	// error: chaosgo: goroutine did not start: faultline: injected error at reindex: disk full
	// reindexing 2
}

// The zero Group runs goroutines and returns the first error; a panic in
// one of them is an error too, not a crash.
func ExampleGroup() {
	var g chaosgo.Group
	for _, shard := range []int{1, 2, 3} {
		g.Go(func() error {
			if shard == 2 {
				var m map[string]int
				m["oops"] = 1 // a real bug: assignment to a nil map
			}
			return nil
		})
	}
	err := g.Wait()
	var pe *chaosgo.PanicError
	if errors.As(err, &pe) {
		fmt.Println("recovered:", pe.Value)
	}
	// Output:
	// recovered: assignment to entry in nil map
}

// The first failure cancels the group's context, so the other goroutines
// can stop early.
func ExampleWithContext() {
	g, ctx := chaosgo.WithContext(context.Background())
	g.Go(func() error { return errors.New("shard 1 unreachable") })
	g.Go(func() error {
		<-ctx.Done()
		return ctx.Err()
	})
	fmt.Println(g.Wait())
	fmt.Println(context.Cause(ctx))
	// Output:
	// shard 1 unreachable
	// shard 1 unreachable
}

// A panic injected at a goroutine's start comes back from Wait as a
// *PanicError that also matches faults.ErrInjected.
func ExampleGroup_GoPoint() {
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan("worker=1*panic(chaos monkey)")); err != nil {
		fmt.Println(err)
		return
	}
	worker := e.Point("worker")
	g, ctx := chaosgo.WithContext(context.Background())
	g.GoPoint(ctx, worker, func() error { return nil })
	err := g.Wait()
	fmt.Println(err)
	fmt.Println("injected:", errors.Is(err, faults.ErrInjected))
	// Output:
	// chaosgo: goroutine at worker panicked: faultline: injected panic at worker: chaos monkey
	// injected: true
}

// A nil *chaos.Point injects nothing: the goroutine just runs, with its
// panics recovered.
func ExampleGo_nilPoint() {
	task := chaosgo.Go(context.Background(), nil, func(context.Context) error {
		return errors.New("done badly")
	})
	fmt.Println(task.Wait())
	// Output:
	// done badly
}

// SetLimit bounds how many goroutines run at once; TryGo gives up when no
// slot is free.
func ExampleGroup_SetLimit() {
	var g chaosgo.Group
	g.SetLimit(1)
	block := make(chan struct{})
	g.Go(func() error { <-block; return nil })
	fmt.Println("second started:", g.TryGo(func() error { return nil }))
	close(block)
	fmt.Println(g.Wait())
	// Output:
	// second started: false
	// <nil>
}

// A PanicError carries the panic's value and stack; Unwrap exposes an error
// value to errors.Is and errors.As. The point no rule names injects
// nothing, but names the goroutine in the error.
func ExamplePanicError() {
	drain := chaos.New(chaos.WithSeed(1)).Point("drain")
	errClosed := errors.New("pool closed")
	task := chaosgo.Go(context.Background(), drain, func(context.Context) error {
		panic(errClosed)
	})
	err := task.Wait()
	var pe *chaosgo.PanicError
	fmt.Println(errors.As(err, &pe), errors.Is(err, errClosed), len(pe.Stack) > 0)
	fmt.Println(err)
	// Output:
	// true true true
	// chaosgo: goroutine at drain panicked: pool closed
}
