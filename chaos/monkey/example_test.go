package monkey_test

import (
	"context"
	"fmt"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/monkey"
	"github.com/faultline-go/faultline/faults"
)

// A monkey for working hours in Paris: on average once a workday, for 15
// minutes at most, at least two hours apart, on half the fleet. Schedule
// previews what Run would do from a given time.
func ExampleMonkey_Schedule() {
	e := chaos.New(chaos.WithSeed(2026), chaos.WithInstance("web-3"), chaos.WithPolicy(chaos.ProductionPolicy()))
	m, err := monkey.New(e,
		[]chaos.Rule{
			{Point: "payments.charge", Fault: faults.Error("declined"), Rate: 0.05},
			{Point: "db.query", Fault: faults.Latency(300 * time.Millisecond), Rate: 0.05},
		},
		monkey.WithMeanInterval(8*time.Hour),
		monkey.WithLength(15*time.Minute),
		monkey.WithMinGap(2*time.Hour),
		monkey.WithShare(0.5),
		monkey.WithWindows(chaos.TimeWindow{
			Days:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			Start:    "10:00",
			End:      "16:00",
			Location: "Europe/Paris",
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	monday := time.Date(2026, 11, 23, 0, 0, 0, 0, paris)
	for _, a := range m.Schedule(monday, 5) {
		took := "takes part"
		if a.Skipped {
			took = "sits out"
		}
		fmt.Printf("%s–%s %s, web-3 %s\n", a.Start.In(paris).Format("Mon 15:04"), a.End.In(paris).Format("15:04"), a.Rule, took)
	}
	// Output:
	// Mon 13:21–13:36 payments.charge=5%error(declined)[ttl=15m0s], web-3 sits out
	// Wed 12:38–12:53 db.query=5%delay(300ms)[ttl=15m0s], web-3 sits out
	// Wed 14:50–15:05 payments.charge=5%error(declined)[ttl=15m0s], web-3 sits out
	// Thu 15:02–15:17 db.query=5%delay(300ms)[ttl=15m0s], web-3 takes part
	// Fri 11:47–12:02 payments.charge=5%error(declined)[ttl=15m0s], web-3 takes part
}

// Run follows the schedule until its context ends. Here the mean interval
// is a millisecond, so the first activation comes at once.
func ExampleMonkey_Run() {
	e := chaos.New(chaos.WithSeed(1))
	ctx, cancel := context.WithCancel(context.Background())
	m, err := monkey.New(e,
		[]chaos.Rule{{Point: "inventory.reserve", Fault: faults.Error("out of stock"), Rate: 1}},
		monkey.WithMeanInterval(time.Millisecond),
		monkey.WithLength(time.Minute),
		monkey.WithOnActivation(func(a monkey.Activation) {
			err := e.Point(a.Rule.Point).Inject(ctx)
			fmt.Printf("activation %d: %v\n", a.N, err)
			cancel()
		}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Run(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("after Run: plan %q from %q\n", e.Plan(), e.Active().Source)
	for _, a := range m.History() {
		fmt.Printf("history: #%d %s\n", a.N, a.Rule)
	}
	// Output:
	// activation 1: faultline: injected error at inventory.reserve: out of stock
	// after Run: plan "" from "monkey"
	// history: #1 inventory.reserve=error(out of stock)[ttl=1m0s]
}

// New checks the candidates and settings, and names every problem.
func ExampleNew() {
	_, err := monkey.New(chaos.New(),
		[]chaos.Rule{{Point: "db.query", Fault: faults.Abort(), Rate: 1.5}},
		monkey.WithShare(1.5),
		monkey.WithWindows(chaos.TimeWindow{Start: "9am", End: "17:00"}),
	)
	fmt.Println(err)
	// Output:
	// monkey: invalid configuration: candidates[0].rate: 1.5 is outside [0,1]; share: 1.5 is outside (0,1]; windows[0].start: "9am" is not a time of day (HH:MM)
}
