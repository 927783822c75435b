package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// decisions evaluates each point n times, in turn, and describes each
// call as "point:seq:rule:kind".
func decisions(e *chaos.Engine, n int, points ...string) []string {
	var out []string
	for range n {
		for _, name := range points {
			d := e.Point(name).Decide(context.Background())
			out = append(out, fmt.Sprintf("%s:%d:%d:%v", name, d.Seq(), d.Rule(), d.Kind()))
		}
	}
	return out
}

// TestApplyIsAtomic: a bad plan changes nothing, neither the plan nor
// what fires next, and its error lists every problem.
func TestApplyIsAtomic(t *testing.T) {
	const good = "a=50%error(x);b=2*delay(1s)"
	e, twin := engineWith(t, good), engineWith(t, good)
	if err := e.Apply(chaos.MustParsePlan(good), chaos.FromSource("admin")); err != nil {
		t.Fatal(err)
	}
	if err := twin.Apply(chaos.MustParsePlan(good), chaos.FromSource("admin")); err != nil {
		t.Fatal(err)
	}
	decisions(e, 5, "a", "b")
	decisions(twin, 5, "a", "b")
	before := e.Active()

	bad := chaos.Plan{Version: "bad", Rules: []chaos.Rule{
		{Point: "a", Fault: faults.Abort(), Rate: 1},
		{Point: "b", Fault: faults.Abort(), Rate: 1.5},
		{Point: "", Fault: faults.Fault{}, Rate: 1, Times: -1},
		{Point: "c", Fault: faults.Latency(-time.Second), Rate: 1, Labels: map[string]string{"": "x"}},
	}}
	err := e.Apply(bad, chaos.FromSource("flag"))
	planError(t, err, chaos.ErrInvalidPlan)
	want := []string{
		"rules[1].rate: 1.5 is outside [0,1]",
		"rules[2].point: is empty",
		"rules[2].fault.kind: none is not a fault",
		"rules[2].times: -1 is negative",
		"rules[3].fault.delay: -1s is negative",
		"rules[3].labels: a label key is empty",
	}
	if got := problemStrings(t, err); !slices.Equal(got, want) {
		t.Errorf("problems\n got %q\nwant %q", got, want)
	}
	after := e.Active()
	if !after.Plan.Equal(before.Plan) || after.Source != "admin" || !after.Applied.Equal(before.Applied) {
		t.Errorf("a refused plan changed Active: %+v → %+v", before, after)
	}
	if !e.Plan().Equal(chaos.MustParsePlan(good)) {
		t.Errorf("Plan() = %v, want %v", e.Plan(), good)
	}
	// The sequence goes on as if the bad plan had never been offered.
	if got, want := decisions(e, 50, "a", "b", "c"), decisions(twin, 50, "a", "b", "c"); !slices.Equal(got, want) {
		t.Errorf("firing changed after a refused plan:\n got %v\nwant %v", got, want)
	}
}

// TestApplyRestartsCounts: applying a plan, even the same one, restarts
// sequence numbers and counts, and the zero Plan switches every fault off.
func TestApplyRestartsCounts(t *testing.T) {
	e := engineWith(t, "p=2*error")
	p := e.Point("p")
	if got := firedAt(context.Background(), p, 5); !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("fired at %v", got)
	}
	if err := e.Apply(chaos.MustParsePlan("p=2*error")); err != nil {
		t.Fatal(err)
	}
	if got := firedAt(context.Background(), p, 5); !slices.Equal(got, []uint64{1, 2}) {
		t.Errorf("after re-applying, fired at %v, want [1 2]", got)
	}
	if err := e.Apply(chaos.Plan{}); err != nil {
		t.Fatal(err)
	}
	if p.Armed() || p.Inject(context.Background()) != nil || len(e.Plan().Rules) != 0 {
		t.Error("the zero Plan left a fault on")
	}
}

// TestApplyCopiesThePlan: the caller may change a plan after applying it.
func TestApplyCopiesThePlan(t *testing.T) {
	plan := chaos.MustParsePlan("p=error[label.k=v]")
	e := engineWith(t, "")
	if err := e.Apply(plan); err != nil {
		t.Fatal(err)
	}
	plan.Rules[0].Point = "q"
	plan.Rules[0].Labels["k"] = "changed"
	if got := e.Plan().String(); got != "p=error[label.k=v]" {
		t.Errorf("Plan() = %q after the caller changed its copy", got)
	}
	if !e.Point("p").Decide(chaos.WithLabels(context.Background(), "k", "v")).Fired() {
		t.Error("the engine fires the changed plan")
	}
	got := e.Plan()
	got.Rules[0].Labels["k"] = "mine"
	if e.Plan().Rules[0].Labels["k"] != "v" {
		t.Error("Plan() returned the engine's own labels map")
	}
}

// TestDisable: the kill switch. No call that starts after Disable returns
// fires, however many goroutines hammer the point, and Apply turns the
// engine back on.
func TestDisable(t *testing.T) {
	e := engineWith(t, "p=error;q=10%delay(1ms)")
	p := e.Point("p")
	var (
		disabled   atomic.Bool
		firedAfter atomic.Int64
		callsAfter atomic.Int64
		firedTotal atomic.Int64
		stop       = make(chan struct{})
		wg         sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				after := disabled.Load() // read before the call starts
				err := p.Inject(context.Background())
				if err != nil {
					firedTotal.Add(1)
				}
				if after {
					callsAfter.Add(1)
					if err != nil {
						firedAfter.Add(1)
					}
				}
			}
		})
	}
	for firedTotal.Load() < 1000 {
		runtime.Gosched()
	}
	e.Disable("test")
	disabled.Store(true)
	for callsAfter.Load() < 20000 {
		runtime.Gosched()
	}
	close(stop)
	wg.Wait()
	if n := firedAfter.Load(); n != 0 {
		t.Fatalf("%d calls that started after Disable returned fired", n)
	}
	if !e.Disabled() || !e.Active().Disabled || len(e.Plan().Rules) != 0 || p.Armed() || e.Point("q").Armed() {
		t.Errorf("after Disable: Disabled %v, Active().Disabled %v, Plan %q, armed %v",
			e.Disabled(), e.Active().Disabled, e.Plan(), p.Armed())
	}
	if s := e.Stats(); len(s.Rules) != 0 {
		t.Errorf("Stats().Rules after Disable = %+v, want none", s.Rules)
	}
	evals := e.Stats().Points[0].Evaluations
	_ = p.Inject(context.Background())
	if e.Stats().Points[0].Evaluations != evals {
		t.Error("a disabled point counted an evaluation")
	}
	if e.Point("new").Armed() {
		t.Error("a point made after Disable is armed")
	}

	if err := e.Apply(chaos.MustParsePlan("p=error")); !errors.Is(err, chaos.ErrDisabled) {
		t.Fatalf("Apply after Disable = %v, want ErrDisabled", err)
	}
	e.Rearm("test")
	if err := e.Apply(chaos.MustParsePlan("p=error")); err != nil {
		t.Fatal(err)
	}
	if e.Disabled() || e.Active().Disabled || p.Inject(context.Background()) == nil {
		t.Error("Rearm and Apply did not turn the engine back on")
	}
}

// TestDisableRacingApply: a Disable that returns after an Apply leaves
// the engine off, whatever the interleaving.
func TestDisableRacingApply(t *testing.T) {
	plan := chaos.MustParsePlan("p=error")
	for range 200 {
		e := engineWith(t, "p=error")
		var wg sync.WaitGroup
		applied := make(chan struct{})
		wg.Go(func() {
			_ = e.Apply(plan)
			close(applied)
		})
		wg.Go(func() {
			e.Disable("test")
			<-applied
		})
		wg.Wait()
		// Either order is fine, but the switch and the bindings must agree.
		if e.Disabled() != e.Active().Disabled || e.Disabled() == e.Point("p").Armed() {
			t.Fatalf("inconsistent: Disabled %v, Active().Disabled %v, Armed %v",
				e.Disabled(), e.Active().Disabled, e.Point("p").Armed())
		}
	}
}

// TestTTL: a rule stops firing at the instant its TTL ends, and its
// points are disarmed then without any call.
func TestTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engineWith(t, "p=error[ttl=10s];q=error[ttl=1m]")
		p, q := e.Point("p"), e.Point("q")
		time.Sleep(10*time.Second - time.Nanosecond)
		if !p.Decide(context.Background()).Fired() {
			t.Fatal("the rule stopped firing before its TTL")
		}
		time.Sleep(time.Nanosecond)
		// Checked before the disarming timer can have run: the firing path
		// checks the expiry itself.
		if p.Decide(context.Background()).Fired() {
			t.Fatal("the rule fired at the instant its TTL ended")
		}
		synctest.Wait()
		if p.Armed() {
			t.Error("the point is still armed after its only rule expired")
		}
		if !q.Armed() {
			t.Error("a rule with a longer TTL was disarmed")
		}
		// No call at all to q: it is disarmed when its time comes.
		time.Sleep(50 * time.Second)
		synctest.Wait()
		if q.Armed() || q.Inject(context.Background()) != nil {
			t.Error("the second rule outlived its TTL")
		}
		if !e.Plan().Equal(chaos.MustParsePlan("p=error[ttl=10s];q=error[ttl=1m]")) {
			t.Errorf("expiry changed the plan to %v", e.Plan())
		}
	})
}

// TestUntil: the synctest bubble starts at 2000-01-01 00:00 UTC.
func TestUntil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engineWith(t, "p=error[until=2000-01-01T00:00:30Z];past=error[until=1999-12-31T23:59:59Z]")
		p := e.Point("p")
		if e.Point("past").Armed() {
			t.Error("a rule that expired before the plan was applied arms its point")
		}
		time.Sleep(29 * time.Second)
		if !p.Decide(context.Background()).Fired() {
			t.Fatal("the rule stopped firing before its end")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if p.Armed() || p.Decide(context.Background()).Fired() {
			t.Error("the rule still fires at its end")
		}
	})
}

// TestExpiryKeepsOtherRulesCounts: when one rule expires, the rules that
// remain keep their counts and sequence; their Times, After and Every do
// not start again.
func TestExpiryKeepsOtherRulesCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engineWith(t, "capped=2*error;skip=error[after=3];same=1*error(capped);same=error(ttl)[ttl=1s];short=error[ttl=1s]")
		capped, skip, same := e.Point("capped"), e.Point("skip"), e.Point("same")
		bg := context.Background()
		if got := firedAt(bg, capped, 3); !slices.Equal(got, []uint64{1, 2}) {
			t.Fatalf("capped fired at %v", got)
		}
		if got := firedAt(bg, skip, 4); !slices.Equal(got, []uint64{4}) {
			t.Fatalf("skip fired at %v", got)
		}
		var got []string
		for range 2 {
			got = append(got, same.Decide(bg).Fault().Message)
		}
		time.Sleep(time.Second)
		synctest.Wait() // the rules with a TTL have expired and been disarmed
		if e.Point("short").Armed() {
			t.Error("short is still armed")
		}
		if got := firedAt(bg, capped, 3); len(got) != 0 {
			t.Errorf("capped fired again at %v after another rule expired", got)
		}
		if d := skip.Decide(bg); d.Seq() != 5 {
			t.Errorf("skip's next call is seq %d, want 5 (fired %v)", d.Seq(), d.Fired())
		}
		if !same.Armed() {
			t.Error("same has a live rule but was disarmed")
		}
		got = append(got, same.Decide(bg).Fault().Message)
		if want := []string{"capped", "ttl", ""}; !slices.Equal(got, want) {
			t.Errorf("same fired %q, want %q", got, want)
		}
	})
}

func TestDefault(t *testing.T) {
	prev := chaos.Default()
	t.Cleanup(func() { chaos.SetDefault(prev) })
	if prev == nil || chaos.Default() != prev {
		t.Fatal("Default() is not stable")
	}
	e := engineWith(t, "checkout=error(declined)")
	chaos.SetDefault(e)
	if chaos.Default() != e {
		t.Fatal("SetDefault did not take")
	}
	if err := chaos.Inject(context.Background(), "checkout"); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Inject(checkout) = %v", err)
	}
	if err := chaos.Inject(context.Background(), "other"); err != nil {
		t.Errorf("Inject(other) = %v", err)
	}
	chaos.SetDefault(nil)
	if chaos.Default() != e {
		t.Error("SetDefault(nil) replaced the default")
	}
}

func TestNilPoint(t *testing.T) {
	var p *chaos.Point
	ctx := context.Background()
	if p.Inject(ctx) != nil || p.Decide(ctx).Fired() || p.DecideLabels(ctx, chaos.Label{Key: "k"}).Fired() ||
		p.Armed() || p.Name() != "" {
		t.Error("a nil *Point does something")
	}
}

func TestZeroEngine(t *testing.T) {
	var e chaos.Engine
	ctx := context.Background()
	p := e.Point("p")
	if p.Inject(ctx) != nil || p.Armed() || e.Seed() != 0 || e.Instance() != "" || e.Disabled() || len(e.Plan().Rules) != 0 {
		t.Fatal("the zero Engine is not an empty, disabled engine")
	}
	if s := e.Stats(); len(s.Points) != 1 || s.Points[0].Point != "p" || len(s.Rules) != 0 {
		t.Errorf("Stats() = %+v", s)
	}
	var seen atomic.Int32
	remove := e.AddObserver(chaos.ObserverFunc(func(context.Context, chaos.Event) { seen.Add(1) }))
	defer remove()
	if err := e.Apply(chaos.MustParsePlan("p=error")); err != nil {
		t.Fatal(err)
	}
	if p.Inject(ctx) == nil || seen.Load() != 1 {
		t.Error("a plan applied to the zero Engine does not fire")
	}
	e.Disable("test")
	if p.Inject(ctx) != nil {
		t.Error("the zero Engine's kill switch does not work")
	}
}

func TestPointIsIdempotent(t *testing.T) {
	e := chaos.New()
	points := make([]*chaos.Point, 16)
	var wg sync.WaitGroup
	for i := range points {
		wg.Go(func() { points[i] = e.Point("shared") })
	}
	wg.Wait()
	for _, p := range points {
		if p != points[0] {
			t.Fatal("Point returned different *Points for one name")
		}
	}
	if points[0].Name() != "shared" {
		t.Errorf("Name() = %q", points[0].Name())
	}
}

// TestPointMadeAfterApply: a point made after the plan was applied is
// armed by it, and counts from 1.
func TestPointMadeAfterApply(t *testing.T) {
	e := engineWith(t, "late.*=1*error")
	if got := firedAt(context.Background(), e.Point("late.one"), 2); !slices.Equal(got, []uint64{1}) {
		t.Errorf("fired at %v", got)
	}
}

func TestSeed(t *testing.T) {
	if got := chaos.New(chaos.WithSeed(42)).Seed(); got != 42 {
		t.Errorf("Seed() = %d, want 42", got)
	}
	a, b := chaos.New().Seed(), chaos.New().Seed()
	if a == b {
		t.Errorf("two engines without WithSeed drew the same seed %d", a)
	}
}

func TestLogger(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	e := chaos.New(chaos.WithSeed(1), chaos.WithLogger(newTextLogger(&buf, &mu)))
	_ = e.Apply(chaos.MustParsePlan("p=error"), chaos.FromSource("test"))
	_ = e.Point("p").Inject(context.Background())
	_ = e.Apply(chaos.Plan{Rules: []chaos.Rule{{Point: ""}}})
	e.Disable("test")
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{
		`level=INFO msg="faultline: plan applied" source=test`,
		`level=DEBUG msg="faultline: fault fired" point=p rule=0 fault=error seq=1 dry_run=false`,
		`level=WARN msg="faultline: plan refused"`,
		`level=WARN msg="faultline: kill switch thrown, all faults disabled" reason=test`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestNilEnginePoint(t *testing.T) {
	var e *chaos.Engine
	p := e.Point("x")
	if p != nil || p.Inject(t.Context()) != nil || p.Decide(t.Context()).Fired() {
		t.Fatal("a nil engine's point is not an inert nil point")
	}
}
