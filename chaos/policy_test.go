package chaos_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	_ "time/tzdata" // the window tests load time zones by name

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

func TestPolicyRefuses(t *testing.T) {
	tests := []struct {
		name   string
		policy chaos.Policy
		plan   chaos.Plan
		want   []string
	}{
		{"kinds", chaos.Policy{Kinds: []faults.Kind{faults.KindLatency, faults.KindError}},
			chaos.MustParsePlan("a=panic;b=delay(1s);c=abort"), []string{
				"rules[0].fault.kind: panic is not allowed by the policy (allowed: latency, error)",
				"rules[2].fault.kind: abort is not allowed by the policy (allowed: latency, error)",
			}},
		{"max rate", chaos.Policy{MaxRate: 0.05}, chaos.MustParsePlan("a=5%error;b=10%error;c=error"), []string{
			"rules[1].rate: 0.1 exceeds the policy's max rate 0.05",
			"rules[2].rate: 1 exceeds the policy's max rate 0.05",
		}},
		{"max latency", chaos.Policy{MaxLatency: 2 * time.Second}, chaos.MustParsePlan("a=delay(2s);b=delay(3s);c=delay(1s,1500ms);d=hang"), []string{
			"rules[1].fault.delay: 3s exceeds the policy's max latency 2s",
			"rules[2].fault.delay: 2.5s exceeds the policy's max latency 2s",
		}},
		{"hang bound over max latency", chaos.Policy{MaxLatency: 2 * time.Second},
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Rate: 1, Fault: faults.HangFor(2 * time.Second)}, {Point: "b", Rate: 1, Fault: faults.HangFor(3 * time.Second)}}}, []string{
				"rules[1].fault.delay: hang bound 3s exceeds the policy's max latency 2s",
			}},
		{"jitter that would overflow", chaos.Policy{MaxLatency: time.Second},
			chaos.Plan{Rules: []chaos.Rule{{Point: "a", Rate: 1, Fault: faults.LatencyJitter(time.Nanosecond, math.MaxInt64)}}},
			[]string{"rules[0].fault.delay: 2562047h47m16.854775807s exceeds the policy's max latency 1s"}},
		{"points", chaos.Policy{Points: []string{"sql.*", "http.client.*"}},
			chaos.MustParsePlan("sql.query=error;sql.*=error;*=error;payments=error;http.*=error"), []string{
				`rules[2].point: "*" is outside the policy's points ["sql.*" "http.client.*"]`,
				`rules[3].point: "payments" is outside the policy's points ["sql.*" "http.client.*"]`,
				`rules[4].point: "http.*" is outside the policy's points ["sql.*" "http.client.*"]`,
			}},
		{"max rules", chaos.Policy{MaxRules: 2}, chaos.MustParsePlan("a=error;b=error;c=error"), []string{
			"rules: 3 rules exceed the policy's limit of 2",
		}},
		{"production", chaos.ProductionPolicy(), chaos.MustParsePlan("a=1%panic;b=delay(5s);c=50%error;d=hang"), []string{
			"rules[0].fault.kind: panic is not allowed by the policy (allowed: latency, error, status, abort, badconn, corrupt)",
			"rules[1].rate: 1 exceeds the policy's max rate 0.05",
			"rules[1].fault.delay: 5s exceeds the policy's max latency 2s",
			"rules[2].rate: 0.5 exceeds the policy's max rate 0.05",
			"rules[3].fault.kind: hang is not allowed by the policy (allowed: latency, error, status, abort, badconn, corrupt)",
			"rules[3].rate: 1 exceeds the policy's max rate 0.05",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(tt.policy))
			const allowed = "sql.query=1%error"
			if err := e.Apply(chaos.MustParsePlan(allowed)); err != nil {
				t.Fatalf("Apply(%q) = %v", allowed, err)
			}
			err := e.Apply(tt.plan)
			if !errors.Is(err, chaos.ErrRefused) || errors.Is(err, chaos.ErrInvalidPlan) {
				t.Fatalf("Apply = %v, want ErrRefused", err)
			}
			if got := problemStrings(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tt.want)
			}
			if got := e.Plan().String(); got != allowed {
				t.Errorf("a refused plan replaced the active one: %q", got)
			}
		})
	}
}

func TestPolicyClamps(t *testing.T) {
	e := chaos.New(chaos.WithPolicy(chaos.Policy{MaxRate: 0.05, MaxLatency: 2 * time.Second, Clamp: true}))
	err := e.Apply(chaos.MustParsePlan("a=50%error;b=delay(5s);c=delay(1s,3s);d=1%delay(1s,1s)"))
	if err != nil {
		t.Fatal(err)
	}
	a := e.Active()
	wantClamped := []string{
		"rules[0].rate: 0.5 clamped to 0.05",
		"rules[1].rate: 1 clamped to 0.05",
		"rules[1].fault.delay: 5s clamped to 2s",
		"rules[2].rate: 1 clamped to 0.05",
		"rules[2].fault.delay: 4s clamped to 2s",
	}
	if !slices.Equal(a.Clamped, wantClamped) {
		t.Errorf("Clamped\n got %q\nwant %q", a.Clamped, wantClamped)
	}
	if got, want := e.Plan().String(), "a=5%error;b=5%delay(2s);c=5%delay(1s,1s);d=1%delay(1s,1s)"; got != want {
		t.Errorf("Plan() = %q, want %q", got, want)
	}
	// A hang's bound is clamped like a latency.
	err = e.Apply(chaos.Plan{Rules: []chaos.Rule{{Point: "h", Rate: 0.01, Fault: faults.HangFor(time.Minute)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Active().Clamped, []string{"rules[0].fault.delay: 1m0s clamped to 2s"}; !slices.Equal(got, want) {
		t.Errorf("Clamped %q, want %q", got, want)
	}
	// What clamping cannot fix still refuses the plan.
	kinds := chaos.New(chaos.WithPolicy(chaos.Policy{Kinds: []faults.Kind{faults.KindError}, MaxRate: 0.05, Clamp: true}))
	err = kinds.Apply(chaos.MustParsePlan("a=50%panic"))
	if got := problemStrings(t, err); !slices.Equal(got, []string{"rules[0].fault.kind: panic is not allowed by the policy (allowed: error)"}) {
		t.Errorf("problems %q", got)
	}
}

func TestInvalidPolicy(t *testing.T) {
	e := chaos.New(chaos.WithPolicy(chaos.Policy{
		Kinds: []faults.Kind{faults.KindNone, 77}, MaxRate: 2, MaxLatency: -1, MaxRules: -1,
		Windows: []chaos.TimeWindow{{Days: []time.Weekday{9}, Start: "25:00", End: "x", Location: "Mars/Olympus"}},
	}))
	err := e.Apply(chaos.MustParsePlan("a=error"))
	planError(t, err, chaos.ErrRefused)
	want := []string{
		"policy.max_rate: 2 is outside [0,1]",
		"policy.max_latency: -1ns is negative",
		"policy.max_rules: -1 is negative",
		"policy.kinds[0]: none is not a fault kind",
		"policy.kinds[1]: kind(77) is not a fault kind",
		"policy.windows[0].days: 9 is not a weekday",
		`policy.windows[0].start: "25:00" is not a time of day (HH:MM)`,
		`policy.windows[0].end: "x" is not a time of day (HH:MM)`,
		`policy.windows[0].location: "Mars/Olympus" is not a time zone`,
	}
	if got := problemStrings(t, err); !slices.Equal(got, want) {
		t.Errorf("problems\n got %q\nwant %q", got, want)
	}
	// Switching faults off is always allowed.
	if err := e.Apply(chaos.Plan{}); err != nil {
		t.Errorf("Apply(Plan{}) under an invalid policy = %v", err)
	}
}

// TestPolicyWindows moves fake time across window edges. The synctest
// bubble starts on Saturday 2000-01-01 00:00 UTC.
func TestPolicyWindows(t *testing.T) {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	type check struct {
		at   string // RFC 3339, increasing
		fire bool
	}
	tests := []struct {
		name    string
		windows []chaos.TimeWindow
		checks  []check
	}{
		{"office hours", []chaos.TimeWindow{{Days: weekdays, Start: "09:00", End: "17:00"}}, []check{
			{"2000-01-01T00:00:00Z", false}, // Saturday
			{"2000-01-01T10:00:00Z", false},
			{"2000-01-03T08:59:59Z", false}, // Monday
			{"2000-01-03T09:00:00Z", true},
			{"2000-01-03T16:59:59Z", true},
			{"2000-01-03T17:00:00Z", false},
			{"2000-01-07T12:00:00Z", true},  // Friday
			{"2000-01-08T12:00:00Z", false}, // Saturday
		}},
		{"across midnight", []chaos.TimeWindow{{Start: "22:00", End: "02:00"}}, []check{
			{"2000-01-01T00:00:00Z", true},
			{"2000-01-01T01:59:00Z", true},
			{"2000-01-01T02:00:00Z", false},
			{"2000-01-01T21:59:00Z", false},
			{"2000-01-01T22:00:00Z", true},
		}},
		{"time zone", []chaos.TimeWindow{{Days: []time.Weekday{time.Saturday}, Start: "09:00", End: "10:00", Location: "Asia/Tokyo"}}, []check{
			{"2000-01-01T00:00:00Z", true}, // 09:00 Saturday in Tokyo
			{"2000-01-01T00:59:00Z", true},
			{"2000-01-01T01:00:00Z", false},
		}},
		{"two windows, whole days", []chaos.TimeWindow{{Days: []time.Weekday{time.Sunday}}, {Start: "23:00", End: "24:00"}}, []check{
			{"2000-01-01T00:00:00Z", false},
			{"2000-01-01T23:00:00Z", true},
			{"2000-01-02T12:00:00Z", true}, // Sunday
			{"2000-01-03T00:00:00Z", false},
			{"2000-01-03T23:59:59Z", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				if now := time.Now().UTC(); now != time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) {
					t.Fatalf("the bubble starts at %v", now)
				}
				e := chaos.New(chaos.WithPolicy(chaos.Policy{Windows: tt.windows}))
				if err := e.Apply(chaos.MustParsePlan("p=error")); err != nil {
					t.Fatalf("a plan is accepted outside the windows, but Apply = %v", err)
				}
				p := e.Point("p")
				for _, c := range tt.checks {
					at, err := time.Parse(time.RFC3339, c.at)
					if err != nil {
						t.Fatal(err)
					}
					time.Sleep(time.Until(at))
					if got := p.Decide(context.Background()).Fired(); got != c.fire {
						t.Errorf("at %s (%v): fired %v, want %v", c.at, time.Now().UTC().Weekday(), got, c.fire)
					}
				}
				if s := e.Stats().Points[0]; s.Evaluations != uint64(len(tt.checks)) {
					t.Errorf("evaluations %d, want %d: calls outside a window still count", s.Evaluations, len(tt.checks))
				}
			})
		})
	}
}

// TestDryRun: points decide, count and report, and inject nothing.
func TestDryRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var events []chaos.Event
		e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{DryRun: true}),
			chaos.WithObserver(chaos.ObserverFunc(func(_ context.Context, ev chaos.Event) {
				mu.Lock()
				defer mu.Unlock()
				events = append(events, ev)
			})))
		if err := e.Apply(chaos.MustParsePlan("p=error;q=2*delay(1h);r=panic")); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for range 5 {
			for _, name := range []string{"p", "q", "r"} {
				if err := e.Point(name).Inject(context.Background()); err != nil {
					t.Fatalf("dry run injected %v at %s", err, name)
				}
				if d := e.Point(name).Decide(context.Background()); d.Fired() {
					t.Fatalf("dry run decided to fire at %s", name)
				}
			}
		}
		if time.Since(start) != 0 {
			t.Error("dry run waited out a latency")
		}
		mu.Lock()
		defer mu.Unlock()
		if len(events) != 10+2+10 {
			t.Fatalf("observed %d events, want 22", len(events))
		}
		for _, ev := range events {
			if !ev.DryRun {
				t.Errorf("event %+v is not marked dry-run", ev)
			}
		}
		s := e.Stats()
		for _, ps := range s.Points {
			want := map[string]uint64{"p": 10, "q": 2, "r": 10}[ps.Point]
			if ps.DryRun != want || ps.Fired != 0 || ps.ByKind != nil || ps.Evaluations != 10 {
				t.Errorf("%s: %+v, want %d dry-run fires and none injected", ps.Point, ps, want)
			}
		}
		if s.Rules[1].Fired != 2 {
			t.Errorf("rule stats count dry-run fires: %+v", s.Rules[1])
		}
	})
}

func TestPolicyCheck(t *testing.T) {
	pol := chaos.Policy{MaxRate: 0.1, Kinds: []faults.Kind{faults.KindError}}
	tests := []struct {
		plan    string
		wantErr error
		problem string
		clamped int
	}{
		{plan: "db.query=5%error", wantErr: nil},
		{plan: "db.query=50%error", wantErr: chaos.ErrRefused, problem: "rules[0].rate: 0.5 exceeds the policy's max rate 0.1"},
		{plan: "db.query=5%panic", wantErr: chaos.ErrRefused, problem: "rules[0].fault"},
		{plan: "", wantErr: nil},
	}
	for _, tt := range tests {
		t.Run(tt.plan, func(t *testing.T) {
			p := chaos.MustParsePlan(tt.plan)
			_, _, err := pol.Check(p)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Check(%q) = %v, want %v", tt.plan, err, tt.wantErr)
			}
			if tt.problem != "" && !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("Check(%q) = %v, want it to name %q", tt.plan, err, tt.problem)
			}
		})
	}
	// Clamp lowers instead of refusing, and reports it.
	clamp := pol
	clamp.Clamp = true
	got, clamped, err := clamp.Check(chaos.MustParsePlan("db.query=50%error"))
	if err != nil || got.Rules[0].Rate != 0.1 || len(clamped) != 1 {
		t.Errorf("clamping Check = %v, %q, %v; want rate 0.1 and one clamp", got, clamped, err)
	}
	// An invalid plan is ErrInvalidPlan, not a refusal.
	bad := chaos.Plan{Rules: []chaos.Rule{{Point: "", Rate: 2}}}
	if _, _, err := pol.Check(bad); !errors.Is(err, chaos.ErrInvalidPlan) {
		t.Errorf("Check(invalid) = %v, want ErrInvalidPlan", err)
	}
}
