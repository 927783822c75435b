package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// engineWith returns an engine with a fixed seed and instance, and plan
// (text form) applied.
func engineWith(t testing.TB, plan string, opts ...chaos.Option) *chaos.Engine {
	t.Helper()
	e := chaos.New(append([]chaos.Option{chaos.WithSeed(1), chaos.WithInstance("test")}, opts...)...)
	if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
		t.Fatalf("Apply(%q) = %v", plan, err)
	}
	return e
}

// firedAt evaluates p n times with Decide and returns the sequence numbers
// of the calls that fired.
func firedAt(ctx context.Context, p *chaos.Point, n int) []uint64 {
	var seqs []uint64
	for range n {
		if d := p.Decide(ctx); d.Fired() {
			seqs = append(seqs, d.Seq())
		}
	}
	return seqs
}

func TestRuleSchedule(t *testing.T) {
	tests := []struct {
		plan  string
		calls int
		want  []uint64
	}{
		{"p=error", 4, []uint64{1, 2, 3, 4}},
		{"p=0%error", 50, nil},
		{"p=error[after=2]", 6, []uint64{3, 4, 5, 6}},
		{"p=error[every=3]", 10, []uint64{3, 6, 9}},
		{"p=error[every=1]", 3, []uint64{1, 2, 3}},
		{"p=error[after=2,every=3]", 12, []uint64{5, 8, 11}},
		{"p=2*error", 6, []uint64{1, 2}},
		{"p=2*error[after=1,every=2]", 10, []uint64{3, 5}},
		{"p=3*error[after=100]", 103, []uint64{101, 102, 103}},
		{"other=error", 5, nil},
		{"p*=error[after=4]", 5, []uint64{5}},
		{"q=error;p=1*error;p=error[every=2]", 6, []uint64{1, 2, 4, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.plan, func(t *testing.T) {
			e := engineWith(t, tt.plan)
			got := firedAt(context.Background(), e.Point("p"), tt.calls)
			if !slices.Equal(got, tt.want) {
				t.Errorf("fired at %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRuleOrder: rules are tried in order and the first that fires wins;
// a spent rule passes its calls on.
func TestRuleOrder(t *testing.T) {
	e := engineWith(t, "p=2*error(first);p=delay(1s);p=error(never)")
	p := e.Point("p")
	var got []string
	for range 4 {
		d := p.Decide(context.Background())
		got = append(got, fmt.Sprintf("%d:%d:%v", d.Seq(), d.Rule(), d.Fault()))
	}
	want := []string{"1:0:error(first)", "2:0:error(first)", "3:1:delay(1s)", "4:1:delay(1s)"}
	if !slices.Equal(got, want) {
		t.Errorf("decisions %q, want %q", got, want)
	}
}

// TestGlobCountsPerPoint: a rule's counts are per point, so a glob rule
// with times=1 fires once at each point it names.
func TestGlobCountsPerPoint(t *testing.T) {
	e := engineWith(t, "sql.*=1*badconn")
	ctx := context.Background()
	for _, name := range []string{"sql.query", "sql.exec", "sql.begin"} {
		if got := firedAt(ctx, e.Point(name), 3); !slices.Equal(got, []uint64{1}) {
			t.Errorf("%s fired at %v, want [1]", name, got)
		}
	}
	if e.Point("http.get").Armed() {
		t.Error("a point the glob does not match is armed")
	}
}

func TestDecision(t *testing.T) {
	e := engineWith(t, "a=error(boom);b=delay(1s,500ms)")
	ctx := context.Background()

	d := e.Point("a").Decide(ctx)
	if !d.Fired() || d.Kind() != faults.KindError || d.Fault() != faults.Error("boom") ||
		d.Rule() != 0 || d.Seq() != 1 || d.Point() != "a" || d.Delay() != 0 {
		t.Errorf("decision = fired %v kind %v fault %v rule %d seq %d point %q delay %v",
			d.Fired(), d.Kind(), d.Fault(), d.Rule(), d.Seq(), d.Point(), d.Delay())
	}
	err := d.Err()
	var ie *faults.InjectedError
	if !errors.As(err, &ie) || ie.Point != "a" || !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Err() = %v", err)
	}
	if again := e.Point("a").Decide(ctx).Err(); again != err {
		t.Error("each decision made a new error; the error is meant to be made once per point and rule")
	}
	if d.Inject(ctx) != err {
		t.Error("Apply of an error decision does not return Err()")
	}

	lat := e.Point("b").Decide(ctx)
	if lat.Delay() < time.Second || lat.Delay() > 1500*time.Millisecond {
		t.Errorf("latency decision delay %v outside [1s,1.5s]", lat.Delay())
	}
	if lat.Err() == nil {
		t.Error("a latency decision has no error to report")
	}

	var zero chaos.Decision
	if zero.Fired() || zero.Kind() != faults.KindNone || !zero.Fault().IsZero() || zero.Err() != nil ||
		zero.Rule() != -1 || zero.Seq() != 0 || zero.Point() != "" || zero.Delay() != 0 || zero.Inject(ctx) != nil {
		t.Error("the zero Decision is not 'nothing fires'")
	}
}

// TestJitterDeterministic: the delay a jittered latency picks is part of
// the decision, so the same seed picks the same delays.
func TestJitterDeterministic(t *testing.T) {
	delays := func(seed uint64) []time.Duration {
		e := chaos.New(chaos.WithSeed(seed))
		if err := e.Apply(chaos.MustParsePlan("p=delay(10ms,90ms)")); err != nil {
			t.Fatal(err)
		}
		var ds []time.Duration
		for range 20 {
			ds = append(ds, e.Point("p").Decide(context.Background()).Delay())
		}
		return ds
	}
	a, b, c := delays(7), delays(7), delays(8)
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different delays: %v vs %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 picked the same 20 delays %v", a)
	}
	if slices.Min(a) == slices.Max(a) {
		t.Errorf("jitter picked one delay 20 times: %v", a)
	}
}

func TestInjectKinds(t *testing.T) {
	t.Run("error", func(t *testing.T) {
		e := engineWith(t, "p=status(503)")
		err := e.Point("p").Inject(context.Background())
		var ie *faults.InjectedError
		if !errors.As(err, &ie) || ie.Fault != faults.HTTPStatus(503, "") || ie.Point != "p" {
			t.Errorf("Inject = %v", err)
		}
	})
	t.Run("badconn", func(t *testing.T) {
		e := engineWith(t, "p=badconn")
		if err := e.Point("p").Inject(context.Background()); !errors.Is(err, faults.ErrInjected) {
			t.Errorf("Inject = %v", err)
		}
	})
	t.Run("panic", func(t *testing.T) {
		e := engineWith(t, "p=panic(oops)")
		defer func() {
			ie, ok := recover().(*faults.InjectedError)
			if !ok || ie.Point != "p" || ie.Fault != faults.Panic("oops") {
				t.Errorf("panic value %v", ie)
			}
		}()
		_ = e.Point("p").Inject(context.Background())
		t.Error("Inject of a panic fault returned")
	})
	// A latency fault holds the call for its delay, or until the call's
	// context ends.
	latency := []struct {
		name    string
		plan    string
		timeout time.Duration // the context's; 0 means none
		wantErr error
		want    time.Duration // how long Inject takes; 0 means the delay Decide gives the same call on a twin engine
	}{
		{"latency", "p=delay(3s)", 0, nil, 3 * time.Second},
		{"latency jitter", "p=delay(1s,1s)", 0, nil, 0},
		{"latency canceled", "p=delay(1h)", 2 * time.Second, context.DeadlineExceeded, 2 * time.Second},
	}
	for _, tt := range latency {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				want := tt.want
				if want == 0 {
					want = engineWith(t, tt.plan).Point("p").Decide(context.Background()).Delay()
				}
				ctx := context.Background()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				p := engineWith(t, tt.plan).Point("p")
				start := time.Now()
				if err := p.Inject(ctx); err != tt.wantErr {
					t.Errorf("Inject = %v, want %v", err, tt.wantErr)
				}
				if got := time.Since(start); got != want {
					t.Errorf("Inject took %v, want %v", got, want)
				}
			})
		})
	}
	t.Run("hang", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := engineWith(t, "p=hang")
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- e.Point("p").Inject(ctx) }()
			synctest.Wait()
			select {
			case err := <-done:
				t.Fatalf("hang returned %v before the context ended", err)
			default:
			}
			time.Sleep(30 * time.Second)
			cancel()
			if err := <-done; err != context.Canceled {
				t.Errorf("hang returned %v, want context.Canceled", err)
			}
		})
	})
}

func TestLabels(t *testing.T) {
	e := engineWith(t, "p=error[label.tenant=acme,label.region=eu]")
	p := e.Point("p")
	bg := context.Background()
	tests := []struct {
		name   string
		ctx    context.Context
		extra  []chaos.Label
		firing bool
	}{
		{"no labels", bg, nil, false},
		{"all in ctx", chaos.WithLabels(bg, "tenant", "acme", "region", "eu"), nil, true},
		{"one missing", chaos.WithLabels(bg, "tenant", "acme"), nil, false},
		{"wrong value", chaos.WithLabels(bg, "tenant", "other", "region", "eu"), nil, false},
		{"split over ctx and extra", chaos.WithLabels(bg, "tenant", "acme"), []chaos.Label{{Key: "region", Value: "eu"}}, true},
		{"all in extra", bg, []chaos.Label{{Key: "region", Value: "eu"}, {Key: "tenant", Value: "acme"}}, true},
		{"extra hides ctx", chaos.WithLabels(bg, "tenant", "acme", "region", "eu"), []chaos.Label{{Key: "tenant", Value: "x"}}, false},
		{"later ctx value hides earlier", chaos.WithLabels(chaos.WithLabels(bg, "tenant", "x", "region", "eu"), "tenant", "acme"), nil, true},
		{"later extra hides earlier", bg, []chaos.Label{{Key: "region", Value: "eu"}, {Key: "tenant", Value: "acme"}, {Key: "tenant", Value: "x"}}, false},
		{"extra labels", bg, []chaos.Label{{Key: "region", Value: "eu"}, {Key: "tenant", Value: "acme"}, {Key: "more", Value: "1"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.DecideLabels(tt.ctx, tt.extra...).Fired(); got != tt.firing {
				t.Errorf("DecideLabels fired = %v, want %v", got, tt.firing)
			}
			if len(tt.extra) == 0 {
				if got := p.Decide(tt.ctx).Fired(); got != tt.firing {
					t.Errorf("Decide fired = %v, want %v", got, tt.firing)
				}
				if got := p.Inject(tt.ctx) != nil; got != tt.firing {
					t.Errorf("Inject failed = %v, want %v", got, tt.firing)
				}
			}
		})
	}
}

func TestWithLabels(t *testing.T) {
	bg := context.Background()
	if chaos.WithLabels(bg) != bg {
		t.Error("WithLabels with no labels made a new context")
	}
	if got := chaos.LabelsFrom(bg); got != nil {
		t.Errorf("LabelsFrom(Background) = %v", got)
	}
	ctx := chaos.WithLabels(bg, "a", "1", "b", "2")
	ctx2 := chaos.WithLabels(ctx, "a", "3", "odd")
	want := []chaos.Label{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "a", Value: "3"}, {Key: "odd", Value: ""}}
	if got := chaos.LabelsFrom(ctx2); !slices.Equal(got, want) {
		t.Errorf("LabelsFrom = %v, want %v", got, want)
	}
	if got := chaos.LabelsFrom(ctx); !slices.Equal(got, want[:2]) {
		t.Errorf("the parent's labels changed to %v", got)
	}
	// Siblings do not share a backing array.
	s1 := chaos.LabelsFrom(chaos.WithLabels(ctx, "x", "1"))
	s2 := chaos.LabelsFrom(chaos.WithLabels(ctx, "y", "2"))
	if s1[2].Key != "x" || s2[2].Key != "y" {
		t.Errorf("sibling contexts share labels: %v, %v", s1, s2)
	}
}

// TestStickyDecisions: a sticky rule decides once per label value.
func TestStickyDecisions(t *testing.T) {
	e := engineWith(t, "p=30%error[sticky=tenant];q=30%delay(1s)[sticky=tenant]")
	p, q := e.Point("p"), e.Point("q")
	bg := context.Background()
	for i := range 200 {
		tenant := fmt.Sprintf("tenant-%d", i)
		ctx := chaos.WithLabels(bg, "tenant", tenant)
		first := p.Decide(ctx).Fired()
		for range 5 {
			if p.Decide(ctx).Fired() != first {
				t.Fatalf("%s: the sticky decision changed between calls", tenant)
			}
			if p.DecideLabels(bg, chaos.Label{Key: "tenant", Value: tenant}).Fired() != first {
				t.Fatalf("%s: DecideLabels disagrees with Decide", tenant)
			}
		}
		if q.Decide(ctx).Fired() != first {
			t.Fatalf("%s: in at one point, out at another with the same rate", tenant)
		}
	}
	if p.Decide(bg).Fired() {
		t.Error("a sticky rule fired for a call without its label")
	}
}

// stickyIn returns which of n keys a sticky rule at rate draws in, for
// seed.
func stickyIn(t *testing.T, seed uint64, rate string, n int) []bool {
	t.Helper()
	e := chaos.New(chaos.WithSeed(seed))
	if err := e.Apply(chaos.MustParsePlan("p=" + rate + "error[sticky=user]")); err != nil {
		t.Fatal(err)
	}
	p := e.Point("p")
	in := make([]bool, n)
	for i := range in {
		in[i] = p.DecideLabels(context.Background(), chaos.Label{Key: "user", Value: fmt.Sprint("user-", i)}).Fired()
	}
	return in
}

// TestStickyShareAndNesting: the share of keys drawn in is close to the
// rate (within a 99.9% binomial interval), and with the same seed the keys
// in at 5% are among those in at 10%.
func TestStickyShareAndNesting(t *testing.T) {
	const n = 20000
	for _, seed := range []uint64{1, 2, 3} {
		at5, at10 := stickyIn(t, seed, "5%", n), stickyIn(t, seed, "10%", n)
		n5, n10 := 0, 0
		for i := range n {
			if at5[i] {
				n5++
				if !at10[i] {
					t.Fatalf("seed %d: user-%d is in at 5%% but out at 10%%", seed, i)
				}
			}
			if at10[i] {
				n10++
			}
		}
		checkBinomial(t, fmt.Sprintf("seed %d, 5%% of keys", seed), n5, n, 0.05)
		checkBinomial(t, fmt.Sprintf("seed %d, 10%% of keys", seed), n10, n, 0.10)
	}
	if slices.Equal(stickyIn(t, 1, "50%", 64), stickyIn(t, 2, "50%", 64)) {
		t.Error("seeds 1 and 2 drew the same 64 keys in")
	}
}

// TestInstances: a rule with a share of instances arms its points on about
// that share of instance ids, nested as rates are.
func TestInstances(t *testing.T) {
	const n = 4000
	armed := func(id, share string) bool {
		e := chaos.New(chaos.WithSeed(5), chaos.WithInstance(id))
		if err := e.Apply(chaos.MustParsePlan("p=error[instances=" + share + "]")); err != nil {
			t.Fatal(err)
		}
		return e.Point("p").Armed()
	}
	n25, n50 := 0, 0
	for i := range n {
		id := fmt.Sprint("pod-", i)
		a25, a50 := armed(id, "25%"), armed(id, "50%")
		if a25 && !a50 {
			t.Fatalf("%s is in at 25%% but out at 50%%", id)
		}
		if a25 != armed(id, "25%") {
			t.Fatalf("%s: the instance decision changed", id)
		}
		if a25 {
			n25++
		}
		if a50 {
			n50++
		}
		if !armed(id, "100%") {
			t.Fatalf("%s is out at 100%%", id)
		}
	}
	checkBinomial(t, "25% of instances", n25, n, 0.25)
	checkBinomial(t, "50% of instances", n50, n, 0.5)
	if e := chaos.New(); e.Instance() == "" {
		t.Error("without WithInstance the engine has no instance id")
	}
}
