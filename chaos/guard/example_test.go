package guard_test

import (
	"context"
	"fmt"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/guard"
	"github.com/faultline-go/faultline/probes"
)

// ExampleNew guards whatever plan is on, from whichever source: when the
// checkout SLI falls under 99%, the guard throws the kill switch and says
// why. A service runs g.Run(ctx) in a goroutine; Check makes one round now.
func ExampleNew() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("payments.charge=20%error"), chaos.FromSource("admin"))

	window := probes.NewSampleWindow(100) // the request path feeds it
	g := guard.New(e, guard.WithProbe(window.SuccessRatioAtLeast("checkout ≥ 99%", 0.99, 50)))

	for i := range 100 {
		window.Record(i%10 != 0, time.Millisecond) // 90% succeed
	}
	g.Check(context.Background())

	a := e.Active()
	fmt.Println("disabled:", a.Disabled)
	fmt.Println("reason:", a.DisabledReason)
	fmt.Println("trips:", g.Status().Trips)
	// Output:
	// disabled: true
	// reason: guard: checkout ≥ 99%: success ratio 0.9 over 100 calls, 90 ok (want >= 0.99)
	// trips: 1
}

// ExampleNewPacer paces an always-on plan by a 99% SLO: the scale grows
// from zero while the error budget is hardly touched, steers back toward
// half the budget when errors climb, and is cut to zero when they pass 80%
// of it. A service runs p.Run(ctx) in a goroutine; Update is one interval.
func ExampleNewPacer() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("db.query=10%error"))

	window := probes.NewSampleWindow(1000)
	p := guard.NewPacer(e, window, 0.99)

	interval := func(failed int) {
		for i := range 1000 {
			window.Record(i >= failed, time.Millisecond)
		}
		scale, _ := p.Update()
		fmt.Printf("%2d failed: burn %.1f, scale %.4f\n", failed, p.Status().Burn, scale)
	}
	interval(0)
	interval(0)
	interval(0)
	interval(7)
	interval(9)
	interval(1)
	// Output:
	//  0 failed: burn 0.0, scale 0.0050
	//  0 failed: burn 0.0, scale 0.0100
	//  0 failed: burn 0.0, scale 0.0200
	//  7 failed: burn 0.7, scale 0.0143
	//  9 failed: burn 0.9, scale 0.0000
	//  1 failed: burn 0.1, scale 0.0040
}
