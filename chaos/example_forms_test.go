package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

func ExamplePoint_Release() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("cache.fill=1*pause(10s)"))
	p := e.Point("cache.fill")

	done := make(chan error)
	go func() { done <- p.Inject(context.Background()) }()
	for p.Paused() == 0 {
		runtime.Gosched() // in a test: synctest.Wait()
	}
	fmt.Println("held:", p.Paused())
	// … make the other goroutine's move here …
	p.Release()
	fmt.Println("released:", <-done)
	// Output:
	// held: 1
	// released: <nil>
}

func ExamplePoint_InjectContext() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("rpc.call=squeeze(10ms)"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	ctx, err := e.Point("rpc.call").InjectContext(ctx)
	dl, _ := ctx.Deadline()
	fmt.Println(err, time.Until(dl) <= 10*time.Millisecond)
	<-ctx.Done()
	fmt.Println(errors.Is(context.Cause(ctx), faults.ErrInjected))
	// Output:
	// <nil> true
	// true
}

func ExampleChoice() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("db.query=delay(100ms)@3|error(timeout)"))
	p := e.Point("db.query")
	counts := map[faults.Kind]int{}
	for range 1000 {
		counts[p.Decide(context.Background()).Kind()]++
	}
	fmt.Println(e.Plan().Rules[0].Choices[0].Weight, counts[faults.KindLatency] > 2*counts[faults.KindError])
	// Output:
	// 3 true
}
