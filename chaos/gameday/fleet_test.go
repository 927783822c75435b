package gameday_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/chaos/gameday"
	"github.com/faultline-go/faultline/probes"
)

// node is one instance of a fleet in the test process: an engine, its
// admin handler on a real HTTP server, and a client of it.
type node struct {
	id     string
	e      *chaos.Engine
	point  *chaos.Point
	srv    *httptest.Server
	client *admin.Client
}

// fleetSeed arms node-2 and node-4 of four under "instances=50%".
const fleetSeed = 6

// newNodes starts n instances named node-1 to node-n with one seed, each
// serving its admin API; wrap, if set, wraps instance i's handler.
func newNodes(t *testing.T, n int, wrap func(i int, h http.Handler) http.Handler) ([]*node, *gameday.Fleet) {
	t.Helper()
	nodes := make([]*node, n)
	fleet := &gameday.Fleet{}
	for i := range nodes {
		id := fmt.Sprintf("node-%d", i+1)
		e := chaos.New(chaos.WithSeed(fleetSeed), chaos.WithInstance(id))
		h := admin.New(e, admin.WithToken("secret"))
		var hh http.Handler = h
		if wrap != nil {
			hh = wrap(i, h)
		}
		srv := httptest.NewServer(hh)
		t.Cleanup(func() { srv.Close(); h.Close() })
		c, err := admin.NewClient(srv.URL+"/", "secret")
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &node{id: id, e: e, point: e.Point("db.query"), srv: srv, client: c}
		fleet.Instances = append(fleet.Instances, c)
	}
	return nodes, fleet
}

// load calls every node's point every millisecond until ctx ends.
func load(nodes []*node) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
				for _, n := range nodes {
					_ = n.point.Inject(ctx)
				}
			}
		}
	}
}

// armedAlone reports whether a fresh engine with the node's seed and id
// would be armed by plan: which instances a share of instances picks,
// found without the fleet.
func armedAlone(id, plan string) bool {
	e := chaos.New(chaos.WithSeed(fleetSeed), chaos.WithInstance(id))
	if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
		panic(err)
	}
	return e.Armed()
}

func TestFleetRun(t *testing.T) {
	const share = "db.query=error[instances=50%]"
	tests := []struct {
		name string
		plan string
		// setup prepares the nodes before the run; stop, when set, is the
		// stop-condition budget of faults on the fleet.
		setup    func(t *testing.T, nodes []*node)
		stop     int
		method   func(nodes []*node) func(ctx context.Context) error
		duration time.Duration
		wantErr  error
		want     gameday.Outcome
		// unreachable, from 1, is the instance that never answers.
		unreachable int
		check       func(t *testing.T, nodes []*node, rep *gameday.Report)
	}{
		{
			name: "a stop condition kills every instance", plan: share, stop: 20, duration: 30 * time.Second,
			wantErr: gameday.ErrAborted, want: gameday.OutcomeAborted,
			check: func(t *testing.T, nodes []*node, rep *gameday.Report) {
				var fired uint64
				for i, n := range nodes {
					ir := rep.Fleet.Instances[i]
					if !n.e.Disabled() || !ir.Killed || !ir.Disabled {
						t.Errorf("%s: disabled %v, report killed %v disabled %v; want the kill switch thrown and confirmed", n.id, n.e.Disabled(), ir.Killed, ir.Disabled)
					}
					for _, ps := range n.e.Stats().Points {
						fired += ps.Fired
					}
				}
				if rep.Fleet.Killed != len(nodes) || !rep.Fleet.KillSent {
					t.Errorf("fleet killed %d, sent %v; want all %d", rep.Fleet.Killed, rep.Fleet.KillSent, len(nodes))
				}
				if got := totalInjected(rep); got != fired || got <= 20 {
					t.Errorf("report counts %d faults, the engines %d; want equal and over the budget of 20", got, fired)
				}
				if !fleetNote(rep, gameday.PhaseDuring, fmt.Sprintf("kill switch thrown on %d of %d instances", len(nodes), len(nodes))) {
					t.Errorf("timeline lacks the fleet kill: %+v", rep.Timeline)
				}
			},
		},
		{
			name: "faults from before the run do not count against the budget", plan: share, stop: 100, duration: 30 * time.Second,
			setup: func(t *testing.T, nodes []*node) {
				for _, n := range nodes {
					if err := n.e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
						t.Fatal(err)
					}
					for range 200 {
						_ = n.point.Inject(t.Context())
					}
					if err := n.e.Apply(chaos.Plan{}); err != nil {
						t.Fatal(err)
					}
				}
			},
			wantErr: gameday.ErrAborted, want: gameday.OutcomeAborted,
			check: func(t *testing.T, nodes []*node, rep *gameday.Report) {
				if got := totalInjected(rep); got <= 100 {
					t.Errorf("the run injected %d faults before its stop condition tripped; want more than its budget of 100", got)
				}
			},
		},
		{
			name: "a completed run restores every instance", plan: "db.query=10%error", duration: 100 * time.Millisecond,
			setup: func(t *testing.T, nodes []*node) {
				for _, n := range nodes {
					if err := n.e.Apply(chaos.MustParsePlan("cache.get=1%delay(1ms)")); err != nil {
						t.Fatal(err)
					}
				}
			},
			want: gameday.OutcomeCompleted,
			check: func(t *testing.T, nodes []*node, rep *gameday.Report) {
				for _, n := range nodes {
					if got := n.e.Plan().String(); got != "cache.get=1%delay(1ms)" || n.e.Disabled() {
						t.Errorf("%s after the run: plan %q disabled %v; want the previous plan back", n.id, got, n.e.Disabled())
					}
				}
				if !fleetNote(rep, gameday.PhaseAfter, "previous plan restored on all 4 instances") {
					t.Errorf("timeline lacks the restore: %+v", rep.Timeline)
				}
			},
		},
		{
			name: "an instance killed before refuses, and no instance keeps the plan", plan: share,
			setup:   func(t *testing.T, nodes []*node) { nodes[2].e.Disable("oncall: paged") },
			wantErr: chaos.ErrDisabled, want: gameday.OutcomeFailed,
			check: func(t *testing.T, nodes []*node, rep *gameday.Report) {
				for i, n := range nodes {
					if n.e.Armed() || len(n.e.Plan().Rules) != 0 && i != 2 {
						t.Errorf("%s after the run: armed %v plan %q; want the plan taken back", n.id, n.e.Armed(), n.e.Plan())
					}
				}
				if ir := rep.Fleet.Instances[2]; ir.Applied || len(ir.Errors) == 0 || !ir.Disabled || ir.DisabledReason != "oncall: paged" {
					t.Errorf("node-3 report %+v; want not applied, an error, and its kill switch thrown by oncall", ir)
				}
				if !strings.Contains(rep.Verdict, "could not be applied on 1 of 4 instances") {
					t.Errorf("verdict %q", rep.Verdict)
				}
			},
		},
		{
			name: "an unreachable instance fails the run, and no instance keeps the plan", plan: share,
			setup: func(t *testing.T, nodes []*node) { nodes[1].srv.Close() },
			want:  gameday.OutcomeFailed, unreachable: 2,
			check: func(t *testing.T, nodes []*node, rep *gameday.Report) {
				for _, n := range nodes {
					if n.e.Armed() || len(n.e.Plan().Rules) != 0 {
						t.Errorf("%s after the run: armed %v plan %q; want no plan", n.id, n.e.Armed(), n.e.Plan())
					}
				}
				if ir := rep.Fleet.Instances[1]; len(ir.Errors) == 0 || !strings.Contains(rep.Verdict, nodes[1].srv.URL) {
					t.Errorf("node-2 errors %q, verdict %q; want the instance named", ir.Errors, rep.Verdict)
				}
			},
		},
		{
			name: "a plan replaced during the run stays", plan: "db.query=10%error", duration: 100 * time.Millisecond,
			method: func(nodes []*node) func(ctx context.Context) error {
				return func(ctx context.Context) error {
					return nodes[0].e.Apply(chaos.MustParsePlan("db.query=delay(1ms)"), chaos.FromSource("operator"))
				}
			},
			want: gameday.OutcomeCompleted,
			check: func(t *testing.T, nodes []*node, rep *gameday.Report) {
				if got := nodes[0].e.Plan().String(); got != "db.query=delay(1ms)" {
					t.Errorf("node-1 plan %q; want the operator's left as is", got)
				}
				for _, n := range nodes[1:] {
					if len(n.e.Plan().Rules) != 0 {
						t.Errorf("%s plan %q; want none", n.id, n.e.Plan())
					}
				}
				if !fleetNote(rep, gameday.PhaseAfter, `plan replaced during the experiment (source "operator"); left as is on node-1`) {
					t.Errorf("timeline lacks the conflict: %+v", rep.Timeline)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes, fleet := newNodes(t, 4, nil)
			if tt.setup != nil {
				tt.setup(t, nodes)
			}
			method := load(nodes)
			if tt.method != nil {
				method = tt.method(nodes)
			}
			x := &gameday.Experiment{
				Title:    "fleet",
				Fleet:    fleet,
				Plan:     chaos.MustParsePlan(tt.plan),
				Method:   method,
				Duration: tt.duration,
				Interval: 10 * time.Millisecond,
				Settle:   -1,
			}
			if tt.stop > 0 {
				x.StopWhen = []probes.Probe{fleet.FiredAtMost("fault budget", "db.*", tt.stop)}
			}
			rep, err := x.Run(t.Context())
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) || tt.wantErr == nil && tt.want != gameday.OutcomeFailed && err != nil {
				t.Fatalf("Run: %v, want %v", err, tt.wantErr)
			}
			if tt.want == gameday.OutcomeFailed && err == nil {
				t.Fatal("Run: nil error for a failed run")
			}
			if rep.Outcome != tt.want {
				t.Fatalf("outcome %s, want %s; verdict %q", rep.Outcome, tt.want, rep.Verdict)
			}
			if rep.Fleet == nil || len(rep.Fleet.Instances) != len(nodes) {
				t.Fatalf("fleet section %+v; want every instance", rep.Fleet)
			}
			md := rep.Markdown()
			took := 0
			for i, n := range nodes {
				ir := rep.Fleet.Instances[i]
				if tt.unreachable == i+1 {
					if ir.Instance != "" || !strings.Contains(md, "| `?` | "+n.srv.URL+"/ |") {
						t.Errorf("unreachable %s: instance %q; want it unknown, and listed by its URL:\n%s", n.id, ir.Instance, md)
					}
					continue
				}
				if ir.Instance != n.id || ir.URL != n.srv.URL+"/" || ir.Seed != fleetSeed {
					t.Errorf("instance %d: %q at %q seed %d; want %s at %s/", i, ir.Instance, ir.URL, ir.Seed, n.id, n.srv.URL)
				}
				if want := rep.Outcome != gameday.OutcomeFailed && armedAlone(n.id, tt.plan); ir.TookPart != want {
					t.Errorf("%s took part %v, want %v", n.id, ir.TookPart, want)
				}
				if ir.TookPart {
					took++
				}
				if !strings.Contains(md, "| `"+n.id+"` | "+n.srv.URL+"/ |") {
					t.Errorf("Markdown lacks the row of %s:\n%s", n.id, md)
				}
			}
			if rep.Fleet.TookPart != took || !strings.Contains(md, "## Fleet") {
				t.Errorf("fleet took part %d, want %d; Markdown:\n%s", rep.Fleet.TookPart, took, md)
			}
			if tt.plan == share && rep.Outcome != gameday.OutcomeFailed && (took == 0 || took == len(nodes)) {
				t.Errorf("%d of %d instances took part; the seed should split the fleet", took, len(nodes))
			}
			tt.check(t, nodes, rep)
		})
	}
}

// fleetNote reports whether the timeline has an entry of the phase that
// holds msg.
func fleetNote(rep *gameday.Report, phase gameday.Phase, msg string) bool {
	for _, e := range rep.Timeline {
		if e.Phase == phase && strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}

func totalInjected(rep *gameday.Report) uint64 {
	var n uint64
	for _, pi := range rep.Injections {
		n += pi.Total
	}
	return n
}

// TestFleetKillIsBounded runs a fleet one of whose instances never
// answers its kill: the others are killed, the run ends once the
// instance's call times out, and the report says it did not confirm.
func TestFleetKillIsBounded(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	nodes, fleet := newNodes(t, 3, func(i int, h http.Handler) http.Handler {
		if i != 1 {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/api/kill") {
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	fleet.Timeout = 300 * time.Millisecond
	x := &gameday.Experiment{
		Title:    "bounded kill",
		Fleet:    fleet,
		Plan:     chaos.MustParsePlan("db.query=error"),
		StopWhen: []probes.Probe{fleet.FiredAtMost("fault budget", "db.query", 5)},
		Method:   load(nodes),
		Duration: 30 * time.Second,
		Interval: 10 * time.Millisecond,
		Settle:   -1,
	}
	start := time.Now()
	rep, err := x.Run(t.Context())
	if !errors.Is(err, gameday.ErrAborted) {
		t.Fatalf("Run: %v, want ErrAborted", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the run took %v; the kill should be bounded by the 300ms timeout", took)
	}
	if rep.Fleet.Killed != 2 || rep.Fleet.Instances[1].Killed || len(rep.Fleet.Instances[1].Errors) == 0 {
		t.Errorf("killed %d, node-2 %+v; want 2 killed, node-2 not confirmed with an error", rep.Fleet.Killed, rep.Fleet.Instances[1])
	}
	if !fleetNote(rep, gameday.PhaseDuring, "kill switch thrown on 2 of 3 instances; not confirmed by node-2") {
		t.Errorf("timeline lacks the unconfirmed kill: %+v", rep.Timeline)
	}
	if !nodes[0].e.Disabled() || !nodes[2].e.Disabled() || nodes[1].e.Disabled() {
		t.Errorf("disabled: %v %v %v; want node-1 and node-3", nodes[0].e.Disabled(), nodes[1].e.Disabled(), nodes[2].e.Disabled())
	}
}

func TestFleetProbes(t *testing.T) {
	nodes, fleet := newNodes(t, 3, nil)
	// node-1 gets 10 calls at a, every one a fault; node-2 20 calls at b,
	// every other one a fault; node-3 none.
	for _, n := range nodes {
		if err := n.e.Apply(chaos.MustParsePlan("a=error;b=error[every=2]")); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		_ = nodes[0].e.Point("a").Inject(t.Context())
	}
	for range 20 {
		_ = nodes[1].e.Point("b").Inject(t.Context())
	}
	unreachable := &gameday.Fleet{Instances: append([]*admin.Client{}, fleet.Instances...)}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c, err := admin.NewClient(dead.URL, "secret")
	if err != nil {
		t.Fatal(err)
	}
	unreachable.Instances = append(unreachable.Instances, c)

	tests := []struct {
		name     string
		probe    probes.Probe
		ok       bool
		value    float64
		observed string
		err      string
	}{
		{"fired at most, at the limit", fleet.FiredAtMost("p", "*", 20), true, 20, "20 faults fired at * over 30 calls on 3 instances (want <= 20); by instance: node-1 10, node-2 10, node-3 0", ""},
		{"fired at most, over the limit", fleet.FiredAtMost("p", "*", 19), false, 20, "", "20 faults fired at * on the fleet, more than 19"},
		{"fired at most, one point", fleet.FiredAtMost("p", "b", 10), true, 10, "node-1 0, node-2 10", ""},
		{"fired at most, a negative count", fleet.FiredAtMost("p", "*", -1), false, 0, "not checked", "a negative count"},
		{"fired at most, an unreachable instance", unreachable.FiredAtMost("p", "*", 100), false, 0, "not checked", "instance " + dead.URL + "/: reading its counters"},
		{"fault ratio, the worst instance", fleet.FaultRatioAtMost("p", "*", 0.5, 5), false, 1, "worst of 2 instances node-1: fault ratio 1 over 10 calls", "on instance node-1 is above 0.5"},
		{"fault ratio, within", fleet.FaultRatioAtMost("p", "b", 0.5, 5), true, 0.5, "fleet 0.5 over 20 calls", ""},
		{"fault ratio, too few calls", fleet.FaultRatioAtMost("p", "*", 0.5, 50), true, 0, "no instance has 50 calls yet", ""},
		{"fault ratio, out of range", fleet.FaultRatioAtMost("p", "*", 1.5, 5), false, 0, "not checked", "outside [0,1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.probe.Check(t.Context())
			if res.OK != tt.ok || res.Value != tt.value || !strings.Contains(res.Observed, tt.observed) || !strings.Contains(res.Err, tt.err) || tt.err == "" && res.Err != "" {
				t.Errorf("Check = %+v; want ok %v value %v, observed with %q, error with %q", res, tt.ok, tt.value, tt.observed, tt.err)
			}
		})
	}
}

// TestFleetReportRoundTrip checks that the fleet section survives JSON,
// and that a report without one still parses, without one.
func TestFleetReportRoundTrip(t *testing.T) {
	nodes, fleet := newNodes(t, 2, nil)
	rep, err := (&gameday.Experiment{Title: "round trip", Fleet: fleet, Plan: chaos.MustParsePlan("db.query=error"),
		Method: load(nodes), Duration: 50 * time.Millisecond, Interval: 10 * time.Millisecond, Settle: -1}).Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := gameday.ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(b) || back.Fleet == nil || len(back.Fleet.Instances) != 2 || back.Fleet.Instances[1].Instance != "node-2" {
		t.Errorf("round trip changed the report:\n%s\nthen\n%s", b, again)
	}
	if back.Markdown() != rep.Markdown() {
		t.Error("the parsed report renders another Markdown")
	}
	old, err := gameday.ReadReport("testdata/report-pass.golden.json")
	if err != nil || old.Fleet != nil {
		t.Fatalf("a report of one engine: %v, fleet %+v; want it to parse without a fleet", err, old.Fleet)
	}
	if strings.Contains(old.Markdown(), "## Fleet") {
		t.Error("a report of one engine renders a Fleet section")
	}
}
