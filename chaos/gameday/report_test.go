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

// TestReportGolden runs the same experiment twice in simulated time and
// checks that both runs render byte-identical JSON and Markdown, equal to
// the golden files. Rewrite them with go test -run TestReportGolden -update.
func TestReportGolden(t *testing.T) {
	run := func() (*gameday.Report, []byte, string) {
		var rep *gameday.Report
		synctest.Test(t, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(2026), chaos.WithInstance("golden"))
			s := newService(e)
			var rolledBack atomic.Int32
			x := experiment(e, s, &rolledBack)
			x.Plan = chaos.MustParsePlan("db.query=60%error(timeout);db.query=delay(5ms)")
			x.StopWhen = []probes.Probe{s.window.SuccessRatioAtLeast("success ratio ≥ 30%", 0.3, 20)}
			var err error
			rep, err = x.Run(t.Context())
			if err != nil && !errors.Is(err, gameday.ErrAborted) {
				t.Fatal(err)
			}
		})
		j, err := rep.JSON()
		if err != nil {
			t.Fatal(err)
		}
		return rep, j, rep.Markdown()
	}
	_, j1, m1 := run()
	_, j2, m2 := run()
	if string(j1) != string(j2) || m1 != m2 {
		t.Fatal("two runs with the same seed and plan rendered different reports")
	}
	golden(t, "report.golden.json", j1)
	golden(t, "report.golden.md", []byte(m1))
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
	if _, err := gameday.ParseReport([]byte(`{`)); err == nil {
		t.Error("malformed JSON was accepted")
	}
}
