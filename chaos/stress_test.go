package chaos_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

var stressFor = flag.Duration("faultline.stress", 2*time.Second, "how long TestStressKillSwitch runs")

// startKey is the context key of the kill state a call started in.
type startKey struct{}

// TestStressKillSwitch has 16 goroutines injecting on 200 points while two
// appliers apply plans and put back what they replaced, compare-and-swap
// style as the monkey and experiments do, and a killer throws the kill
// switch in a loop: Disable, check that it holds, Rearm. It counts fires
// after a kill (a call that started after Disable returned, in the same
// kill, and fired anyway: seen by an observer, or injected) and kills
// undone (the engine re-enabled with no Rearm by the killer). Both must be
// 0. It runs for -faultline.stress (default 2s); CI may run it longer:
//
//	go test -race -run TestStressKillSwitch ./chaos -faultline.stress=30s
func TestStressKillSwitch(t *testing.T) {
	const (
		injectors = 16
		points    = 200
	)
	e := chaos.New(chaos.WithSeed(1), chaos.WithInstance("stress"))
	// kill is the kill switch as the killer sees it: twice the kill
	// epoch, plus one while the switch it threw holds. It turns odd only
	// once Disable has returned, and even again just before Rearm, so a
	// call that starts with an odd value and ends with the same one ran
	// wholly inside one kill.
	var (
		kill                                       atomic.Uint64
		fires, observedAfter, injectedAfter, flown atomic.Uint64
		undone, lastUndone, calls                  atomic.Uint64
		kills, rearms, applied, restored, refused  atomic.Uint64
	)
	// undo counts each kill seen undone once.
	undo := func(s uint64) {
		if lastUndone.Swap(s) != s {
			undone.Add(1)
		}
	}
	e.AddObserver(chaos.ObserverFunc(func(ctx context.Context, ev chaos.Event) {
		fires.Add(1)
		if s := kill.Load(); s&1 == 1 && e.Disabled() && kill.Load() == s {
			if start, _ := ctx.Value(startKey{}).(uint64); start == s {
				observedAfter.Add(1)
			} else {
				flown.Add(1) // decided before the kill, observed after
			}
		}
	}))

	pts := make([]*chaos.Point, points)
	for i := range pts {
		pts[i] = e.Point(fmt.Sprintf("svc.%03d", i))
	}
	plans := stressPlans(points)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	running := func() bool {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	for g := range injectors {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 0; running(); i++ {
				if i%64 == 0 {
					// Share the cores: a goroutine that never yields
					// holds one for up to 10ms, and the appliers and the
					// killer would barely run.
					runtime.Gosched()
				}
				s := kill.Load()
				ctx := context.WithValue(context.Background(), startKey{}, s)
				err := pts[rng.IntN(points)].Inject(ctx)
				calls.Add(1)
				if errors.Is(err, faults.ErrInjected) && s&1 == 1 && kill.Load() == s {
					injectedAfter.Add(1)
				}
				if s := kill.Load(); s&1 == 1 && !e.Disabled() && kill.Load() == s {
					undo(s)
				}
			}
		})
	}
	for g := range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for running() {
				before := e.Active()
				err := e.Apply(plans[rng.IntN(len(plans))], chaos.FromSource(fmt.Sprintf("applier#%d", g)), chaos.IfGeneration(before.Generation))
				if err != nil {
					refused.Add(1)
					continue
				}
				applied.Add(1)
				spin(rng.IntN(1_000_000)) // let the points fire a while
				if err := e.Restore(before, chaos.IfGeneration(before.Generation+1)); err == nil {
					restored.Add(1)
				} else if !errors.Is(err, chaos.ErrConflict) && !errors.Is(err, chaos.ErrDisabled) {
					t.Errorf("restore: %v", err)
				}
			}
		})
	}
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(3, 3))
		for running() {
			// Armed for a random while, up to a few Applies long, so that
			// the kill lands anywhere: inside an Apply or a Restore, or
			// while points fire.
			spin(rng.IntN(2_000_000))
			e.Disable("stress: killer")
			s := kill.Add(1)
			kills.Add(1)
			for range 1 + rng.IntN(1000) {
				if !e.Disabled() {
					undo(s)
				}
			}
			if a := e.Active(); !a.Disabled || a.DisabledReason != "stress: killer" {
				undo(s)
			}
			kill.Add(1)
			e.Rearm("stress: killer")
			rearms.Add(1)
			// As an operator would, put a standing plan back on, which
			// the appliers replace and restore.
			if err := e.Apply(plans[0], chaos.FromSource("operator")); err != nil {
				t.Errorf("operator's apply after a rearm: %v", err)
			}
		}
	})

	<-time.After(*stressFor)
	close(stop)
	wg.Wait()

	t.Logf("%v: %d kills, %d rearms; %d plans applied, %d restored, %d refused; %d calls, %d fires, %d decided before a kill and observed after it",
		*stressFor, kills.Load(), rearms.Load(), applied.Load(), restored.Load(), refused.Load(), calls.Load(), fires.Load(), flown.Load())
	t.Logf("fires after a kill: %d observed, %d injected; kills undone: %d", observedAfter.Load(), injectedAfter.Load(), undone.Load())
	if n := observedAfter.Load() + injectedAfter.Load(); n != 0 {
		t.Errorf("%d fires after a kill (%d observed, %d injected), want 0", n, observedAfter.Load(), injectedAfter.Load())
	}
	if n := undone.Load(); n != 0 {
		t.Errorf("%d of %d kills undone, want 0", n, kills.Load())
	}
	if kills.Load() == 0 || applied.Load() == 0 || fires.Load() == 0 {
		t.Error("the stress did not exercise the kill switch, the appliers and the points")
	}
}

// spin does n steps of busy work, a few nanoseconds each. It waits without
// yielding to the scheduler, whose turns last up to 10ms when every
// goroutine is busy.
func spin(n int) {
	x := uint64(n)
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	spinSink.Store(x)
}

var spinSink atomic.Uint64

// stressPlans returns plans over points named svc.000 onwards: one rule
// per point, globs, and latency and bounded hangs that the kill switch
// must cut short.
func stressPlans(points int) []chaos.Plan {
	perPoint := chaos.Plan{Version: "per-point"}
	for i := range points {
		f := faults.Error("down")
		switch i % 4 {
		case 1:
			f = faults.Abort()
		case 2:
			f = faults.BadConn()
		case 3:
			f = faults.Latency(time.Millisecond)
		}
		perPoint.Rules = append(perPoint.Rules, chaos.Rule{Point: fmt.Sprintf("svc.%03d", i), Fault: f, Rate: 0.5})
	}
	return []chaos.Plan{
		perPoint,
		chaos.MustParsePlan("svc.*=30%error(glob);svc.1*=5%delay(2ms)"),
		{Version: "hangs", Rules: []chaos.Rule{
			{Point: "svc.0*", Fault: faults.HangFor(20 * time.Millisecond), Rate: 0.05},
			{Point: "svc.*", Fault: faults.HTTPStatus(503, ""), Rate: 0.5},
		}},
	}
}
