package gameday_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/chaos/gameday"
	"github.com/faultline-go/faultline/probes"
)

// exampleFleet starts n instances, node-1 to node-n, each an engine
// behind its admin API on a loopback server. In production each is a
// process, or a machine, of its own.
func exampleFleet(n int) (*gameday.Fleet, []*chaos.Engine, func()) {
	fleet := &gameday.Fleet{}
	var engines []*chaos.Engine
	var closers []func()
	for i := 1; i <= n; i++ {
		e := chaos.New(chaos.WithSeed(6), chaos.WithInstance(fmt.Sprintf("node-%d", i)))
		h := admin.New(e, admin.WithToken("secret"))
		srv := httptest.NewServer(h)
		closers = append(closers, func() { srv.Close(); h.Close() })
		c, err := admin.NewClient(srv.URL+"/", "secret")
		if err != nil {
			panic(err)
		}
		fleet.Instances = append(fleet.Instances, c)
		engines = append(engines, e)
	}
	return fleet, engines, func() {
		for _, c := range closers {
			c()
		}
	}
}

func ExampleFleet() {
	fleet, engines, stop := exampleFleet(4)
	defer stop()
	x := &gameday.Experiment{
		Title: "half the fleet fails its queries",
		Fleet: fleet,
		Plan:  chaos.MustParsePlan("db.query=error[instances=50%]"),
		StopWhen: []probes.Probe{
			fleet.FiredAtMost("at most 10 faults on the fleet", "db.query", 10),
		},
		Method: func(ctx context.Context) error { // the load, on every instance
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
					for _, e := range engines {
						_ = e.Point("db.query").Inject(ctx)
					}
				}
			}
		},
		Duration: time.Minute,
		Interval: 10 * time.Millisecond,
		Settle:   -1,
	}
	rep, err := x.Run(context.Background())
	fmt.Println(errors.Is(err, gameday.ErrAborted), rep.StopReason)
	for _, ir := range rep.Fleet.Instances {
		fmt.Printf("%s took part: %v, kill switch thrown: %v\n", ir.Instance, ir.TookPart, ir.Disabled)
	}
	// Output:
	// true at most 10 faults on the fleet
	// node-1 took part: false, kill switch thrown: true
	// node-2 took part: true, kill switch thrown: true
	// node-3 took part: false, kill switch thrown: true
	// node-4 took part: true, kill switch thrown: true
}

func ExampleFleet_FiredAtMost() {
	fleet, engines, stop := exampleFleet(2)
	defer stop()
	for _, e := range engines {
		_ = e.Apply(chaos.MustParsePlan("db.query=error"))
	}
	for range 3 {
		_ = engines[0].Point("db.query").Inject(context.Background())
	}
	res := fleet.FiredAtMost("at most 5 faults", "db.*", 5).Check(context.Background())
	fmt.Println(res.OK, res.Observed)
	// Output:
	// true 3 faults fired at db.* over 3 calls on 2 instances (want <= 5); by instance: node-1 3, node-2 0
}

func ExampleFleet_FaultRatioAtMost() {
	fleet, engines, stop := exampleFleet(2)
	defer stop()
	for _, e := range engines {
		_ = e.Apply(chaos.MustParsePlan("db.query=error[every=4]"))
	}
	for range 8 {
		_ = engines[0].Point("db.query").Inject(context.Background())
		_ = engines[1].Point("db.query").Inject(context.Background())
	}
	res := fleet.FaultRatioAtMost("no instance above 20% faults", "db.query", 0.2, 8).Check(context.Background())
	fmt.Println(res.OK, res.Err)
	fmt.Println(res.Observed)
	// Output:
	// false gameday: fault ratio 0.25 on instance node-1 is above 0.2
	// worst of 2 instances node-1: fault ratio 0.25 over 8 calls (want <= 0.2); fleet 0.25 over 16 calls; by instance: node-1 2/8, node-2 2/8
}
