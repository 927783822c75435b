package chaos_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// recorder is an observer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []chaos.Event
}

func (r *recorder) Observe(_ context.Context, ev chaos.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) list() []chaos.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

type ctxKey struct{}

func TestObserver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := engineWith(t, "other=abort;p=error(boom)[after=2]")
		rec := &recorder{}
		var sawCtx atomic.Value
		remove := e.AddObserver(rec)
		removeCtx := e.AddObserver(chaos.ObserverFunc(func(ctx context.Context, _ chaos.Event) {
			sawCtx.Store(ctx.Value(ctxKey{}))
		}))
		defer removeCtx()

		ctx := chaos.WithLabels(context.WithValue(context.Background(), ctxKey{}, "call ctx"), "tenant", "acme")
		p := e.Point("p")
		time.Sleep(time.Minute)
		for range 3 {
			_ = p.DecideLabels(ctx, chaos.Label{Key: "route", Value: "/pay"})
		}
		evs := rec.list()
		if len(evs) != 1 {
			t.Fatalf("observed %d events, want 1 (only the third call fires)", len(evs))
		}
		want := chaos.Event{
			Point:  "p",
			Rule:   1,
			Fault:  faults.Error("boom"),
			Seq:    3,
			Time:   time.Date(2000, 1, 1, 0, 1, 0, 0, time.UTC),
			Labels: []chaos.Label{{Key: "tenant", Value: "acme"}, {Key: "route", Value: "/pay"}},
		}
		ev := evs[0]
		if ev.Point != want.Point || ev.Rule != want.Rule || ev.Fault != want.Fault || ev.Seq != want.Seq ||
			!ev.Time.Equal(want.Time) || !slices.Equal(ev.Labels, want.Labels) || ev.DryRun {
			t.Errorf("event\n got %+v\nwant %+v", ev, want)
		}
		if got := sawCtx.Load(); got != "call ctx" {
			t.Errorf("the observer got a context carrying %v, not the call's", got)
		}

		remove()
		remove() // a second call is harmless
		_ = p.Decide(ctx)
		if n := len(rec.list()); n != 1 {
			t.Errorf("a removed observer saw %d events", n)
		}
	})
}

// TestObserverAddedTwice: the same observer added twice is told twice, and
// each remove takes away one.
func TestObserverAddedTwice(t *testing.T) {
	e := engineWith(t, "p=error")
	var n atomic.Int32
	obs := chaos.ObserverFunc(func(context.Context, chaos.Event) { n.Add(1) })
	r1 := e.AddObserver(obs)
	r2 := e.AddObserver(obs)
	_ = e.Point("p").Inject(context.Background())
	r1()
	_ = e.Point("p").Inject(context.Background())
	r2()
	_ = e.Point("p").Inject(context.Background())
	if got := n.Load(); got != 3 {
		t.Errorf("observer called %d times, want 2+1+0", got)
	}
}

// TestObserverBeforePanic: observers hear of a panic fault before it
// panics.
func TestObserverBeforePanic(t *testing.T) {
	rec := &recorder{}
	e := engineWith(t, "p=panic(x)", chaos.WithObserver(rec))
	func() {
		defer func() { _ = recover() }()
		_ = e.Point("p").Inject(context.Background())
	}()
	if evs := rec.list(); len(evs) != 1 || evs[0].Fault.Kind != faults.KindPanic {
		t.Errorf("events %+v", evs)
	}
}

func TestStats(t *testing.T) {
	e := engineWith(t, "db.*=2*error;db.query=delay(1ms)[every=2];cache=0%abort")
	ctx := context.Background()
	for range 6 {
		_ = e.Point("db.query").Decide(ctx)
		_ = e.Point("db.exec").Decide(ctx)
		_ = e.Point("idle").Decide(ctx)
	}
	_ = e.Point("cache")
	want := chaos.Stats{
		Points: []chaos.PointStats{
			{Point: "cache"}, // a rule at rate 0 never fires, so it arms nothing
			{Point: "db.exec", Armed: true, Evaluations: 6, Fired: 2, ByKind: map[faults.Kind]uint64{faults.KindError: 2}},
			// calls 1,2 error; calls 4 and 6 are the even ones left: latency
			{Point: "db.query", Armed: true, Evaluations: 6, Fired: 4, ByKind: map[faults.Kind]uint64{faults.KindError: 2, faults.KindLatency: 2}},
			{Point: "idle"},
		},
		Rules: []chaos.RuleStats{
			{Rule: 0, Point: "db.*", Points: 2, Evaluations: 12, Fired: 4},
			{Rule: 1, Point: "db.query", Points: 1, Evaluations: 6, Fired: 2},
			{Rule: 2, Point: "cache"},
		},
	}
	got := e.Stats()
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("Stats\n got %s\nwant %s", gb, wb)
	}

	// A new plan restarts the rule counts; the point counts go on.
	if err := e.Apply(chaos.MustParsePlan("db.query=abort")); err != nil {
		t.Fatal(err)
	}
	_ = e.Point("db.query").Decide(ctx)
	s := e.Stats()
	if q := s.Points[2]; q.Evaluations != 7 || q.Fired != 5 || q.ByKind[faults.KindAbort] != 1 {
		t.Errorf("db.query after a new plan: %+v", q)
	}
	if s.Points[1].Armed {
		t.Error("db.exec is still armed by a plan that does not name it")
	}
	if r := s.Rules; len(r) != 1 || r[0].Evaluations != 1 || r[0].Fired != 1 || r[0].Points != 1 {
		t.Errorf("rules after a new plan: %+v", r)
	}
}
