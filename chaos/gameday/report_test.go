package gameday_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/chaos/gameday"
	"github.com/faultline-go/faultline/probes"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestReportGolden runs a passing and a failing experiment twice each in
// simulated time and checks that both runs render byte-identical JSON and
// Markdown, equal to the golden files. Rewrite them with
// go test -run TestReportGolden -update.
func TestReportGolden(t *testing.T) {
	tests := []struct {
		name      string
		plan      string
		resilient bool // retry once, recording what became of the fault
		deviated  bool
	}{
		// Resilience absorbs most of the errors: the hypothesis holds.
		{name: "pass", plan: "db.query=10%error(timeout);db.query=delay(5ms)", resilient: true},
		// Without it, the success ratio drops below the hypothesis and
		// comes back once the faults are off and the bad samples age out.
		{name: "fail", plan: "db.query=80%error(timeout);db.query=delay(5ms)", deviated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func() (*gameday.Report, []byte, string) {
				var rep *gameday.Report
				synctest.Test(t, func(t *testing.T) {
					rep = runGolden(t, tt.plan, tt.resilient)
				})
				j, err := rep.JSON()
				if err != nil {
					t.Fatal(err)
				}
				return rep, j, rep.Markdown()
			}
			rep, j1, m1 := run()
			_, j2, m2 := run()
			if string(j1) != string(j2) || m1 != m2 {
				t.Fatal("two runs with the same seed and plan rendered different reports")
			}
			if rep.Deviated != tt.deviated || !rep.Recovered {
				t.Errorf("deviated %v recovered %v, want deviated %v and recovered", rep.Deviated, rep.Recovered, tt.deviated)
			}
			golden(t, "report-"+tt.name+".golden.json", j1)
			golden(t, "report-"+tt.name+".golden.md", []byte(m1))
		})
	}
}

// runGolden runs the golden experiment with a zero Settle: load every 10ms from outside the
// experiment, as real traffic, into a window that forgets after 300ms.
func runGolden(t *testing.T, plan string, resilient bool) *gameday.Report {
	return runSettle(t, plan, resilient, 0, true)
}

// runSettle runs the golden experiment with a settle time, and without the
// stop condition unless stop is set.
func runSettle(t *testing.T, plan string, resilient bool, settle time.Duration, stop bool) *gameday.Report {
	e := chaos.New(chaos.WithSeed(2026), chaos.WithInstance("golden"))
	s := &service{point: e.Point("db.query"), window: probes.NewSampleWindow(100, probes.WithMaxAge(300*time.Millisecond)), retry: resilient}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.load(ctx) }()
	defer func() { cancel(); <-done }()
	var rolledBack atomic.Int32
	x := experiment(e, s, &rolledBack)
	x.Method = nil
	x.Plan = chaos.MustParsePlan(plan)
	x.SteadyState = append(x.SteadyState, s.window.LatencyAtMost("p99 ≤ 20ms", 0.99, 20*time.Millisecond, 10))
	if stop {
		x.StopWhen = []probes.Probe{s.window.SuccessRatioAtLeast("success ratio ≥ 10%", 0.1, 20)}
	}
	x.Environment = gameday.Environment{Service: "orders", ServiceVersion: "v1.4.2", GoVersion: "go1.26.8", Host: "golden-host"}
	x.ReplayCommand = "go test ./chaos/gameday -run TestReportGolden"
	x.Settle = settle
	rep, err := x.Run(t.Context())
	if err != nil && !errors.Is(err, gameday.ErrAborted) {
		t.Fatal(err)
	}
	return rep
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; run with -update and review the diff\n--- got ---\n%s", name, got)
	}
}

func TestMarkdownSections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(9))
		s := newService(e)
		var rolledBack atomic.Int32
		x := experiment(e, s, &rolledBack)
		x.Plan = chaos.MustParsePlan("db.query=error")
		rep, _ := x.Run(t.Context())
		md := rep.Markdown()
		last := -1
		for _, h := range []string{"# Post-mortem draft: database errors", "## Summary", "## Impact", "## Timeline",
			"## Detection", "## What went well", "## What went wrong", "## Where we got lucky", "## Action items"} {
			i := strings.Index(md, h)
			if i < 0 || i < last {
				t.Errorf("section %q missing or out of order", h)
			}
			last = i
		}
		// Every call failed, so the hypothesis broke: the draft must suggest
		// a replay test for the point.
		if !rep.Deviated || !strings.Contains(md, "Add a test that replays the") || !strings.Contains(md, "`db.query`") {
			t.Errorf("action items do not suggest a replay test:\n%s", md)
		}
	})
}

func TestReplayReproducesInjections(t *testing.T) {
	var rep *gameday.Report
	const calls = 200
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(42), chaos.WithInstance("replay"))
		p := e.Point("payments.charge")
		x := &gameday.Experiment{
			Title:    "payments",
			Engine:   e,
			Plan:     chaos.MustParsePlan("payments.charge=10%error(declined);payments.charge=5%delay(20ms)"),
			Duration: time.Second,
			Method: func(ctx context.Context) error {
				for i := 0; i < calls; i++ {
					_ = p.Inject(ctx)
				}
				return nil
			},
		}
		var err error
		if rep, err = x.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	// Save and reload, as a team would from the game day's output.
	path := filepath.Join(t.TempDir(), "report.json")
	j, _ := rep.JSON()
	if err := os.WriteFile(path, j, 0o644); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		e := chaostest.ReplayFile(t, path)
		p := e.Point("payments.charge")
		var got []gameday.Injection
		for i := 0; i < calls; i++ {
			d := p.Decide(t.Context())
			if d.Fired() {
				got = append(got, gameday.Injection{Seq: d.Seq(), Rule: d.Rule(), Kind: d.Kind()})
			}
		}
		if len(rep.Injections) != 1 {
			t.Fatalf("recorded injections: %+v", rep.Injections)
		}
		want := rep.Injections[0].Sequence
		if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("replayed sequence\n%v\nwant\n%v", got, want)
		}
	})
}

func TestParseReportRefusesOtherSchemas(t *testing.T) {
	if _, err := gameday.ParseReport([]byte(`{"schema":"faultline.report/v0"}`)); err == nil {
		t.Error("a report of another schema was accepted")
	}
	// v1 reports still replay: their seed, instance and plan are as before.
	rep, err := gameday.ParseReport([]byte(`{"schema":"faultline.report/v1","seed":"7","instance":"a","plan":{"rules":[{"point":"p","fault":{"kind":"error"},"rate":1}]}}`))
	if err != nil || rep.Seed != 7 || rep.Plan.String() != "p=error" {
		t.Errorf("v1 report: %+v, %v", rep, err)
	}
	if _, err := gameday.ParseReport([]byte(`{`)); err == nil {
		t.Error("malformed JSON was accepted")
	}
}
