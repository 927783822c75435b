package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/gameday"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestGameDayEndToEnd runs the example as CI does: the learning loop, a
// short game day with resilience off and then on, whose two reports must
// exist, parse and carry the figures.
func TestGameDayEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real game days for a few seconds")
	}
	out := t.TempDir()
	var log bytes.Buffer
	reps, err := runModes(t.Context(), config{
		seed:     3,
		duration: 2 * time.Second,
		warmup:   500 * time.Millisecond,
		rate:     50,
		plan:     defaultPlan,
		out:      out,
	}, []bool{false, true}, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	if len(reps) != 2 {
		t.Fatalf("%d reports, want 2", len(reps))
	}
	for i, mode := range []string{"off", "on"} {
		rep := reps[i]
		if rep.Outcome != gameday.OutcomeCompleted && rep.Outcome != gameday.OutcomeAborted {
			t.Errorf("resilience %s: status %s; log:\n%s", mode, rep.Outcome, log.String())
		}
		if len(rep.Injections) == 0 {
			t.Errorf("resilience %s: no fault was injected; log:\n%s", mode, log.String())
		}
		if want := "-resilience=" + mode; !strings.Contains(rep.ReplayCommand, want) {
			t.Errorf("replay command %q lacks %q", rep.ReplayCommand, want)
		}
		b, err := os.ReadFile(filepath.Join(out, "report-resilience-"+mode+".json"))
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := gameday.ParseReport(b)
		if err != nil {
			t.Fatalf("report-resilience-%s.json does not parse: %v", mode, err)
		}
		if parsed.Seed != 3 || parsed.Plan.String() != chaos.MustParsePlan(defaultPlan).String() {
			t.Errorf("report seed %d plan %q", parsed.Seed, parsed.Plan)
		}
		if parsed.Settle != 3*time.Second || parsed.Calls == 0 || parsed.Environment.GoVersion == "" {
			t.Errorf("report settle %v calls %d environment %+v", parsed.Settle, parsed.Calls, parsed.Environment)
		}
		md, err := os.ReadFile(filepath.Join(out, "postmortem-resilience-"+mode+".md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, section := range []string{"## Summary", "## Figures", "| Recovery |", "| Rerun | `go run ./examples/gameday", "## Impact", "## Timeline",
			"## Detection", "## What went well", "## What went wrong", "## Where we got lucky", "## Action items"} {
			if !strings.Contains(string(md), section) {
				t.Errorf("postmortem-resilience-%s.md lacks %q", mode, section)
			}
		}
	}
	for _, want := range []string{"plan applied", "report:", "replay", "the learning loop, seed 3", "resilience off", "resilience on"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the terminal output lacks %q:\n%s", want, log.String())
		}
	}
}

func TestParseModes(t *testing.T) {
	tests := []struct {
		in   string
		want []bool
		err  bool
	}{
		{"both", []bool{false, true}, false},
		{"off", []bool{false}, false},
		{"on", []bool{true}, false},
		{"", nil, true},
		{"maybe", nil, true},
	}
	for _, tt := range tests {
		got, err := parseModes(tt.in)
		if (err != nil) != tt.err || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("parseModes(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestBadPlanIsRefusedBeforeAnythingStarts(t *testing.T) {
	_, err := run(context.Background(), config{seed: 1, duration: time.Second, plan: "sql.query=150%error", out: t.TempDir()}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "rules[0].rate: 1.5 is outside [0,1]") {
		t.Fatalf("err = %v, want the plan's problem", err)
	}
}

// TestSameSeedSameDecisions runs the game day twice with one seed. The
// number of calls depends on timing, but the faults do not: the n-th call
// at each point gets the same fault in both runs, so the recorded
// injections agree on every call number both runs reached.
func TestSameSeedSameDecisions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real game days")
	}
	run1 := func() *gameday.Report {
		rep, err := run(t.Context(), config{seed: 11, duration: time.Second, warmup: 200 * time.Millisecond, rate: 50, plan: defaultPlan, out: t.TempDir()}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	a, b := run1(), run1()
	fired := func(rep *gameday.Report) map[string]map[uint64]gameday.Injection {
		m := map[string]map[uint64]gameday.Injection{}
		for _, pi := range rep.Injections {
			m[pi.Point] = map[uint64]gameday.Injection{}
			for _, in := range pi.Sequence {
				m[pi.Point][in.Seq] = in
			}
		}
		return m
	}
	fa, fb := fired(a), fired(b)
	compared := 0
	for point, sa := range fa {
		sb := fb[point]
		// Both runs reached every call number up to the smaller of their
		// highest recorded fires.
		var maxA, maxB uint64
		for n := range sa {
			maxA = max(maxA, n)
		}
		for n := range sb {
			maxB = max(maxB, n)
		}
		limit := min(maxA, maxB)
		for n := uint64(1); n <= limit; n++ {
			ia, oka := sa[n]
			ib, okb := sb[n]
			if oka != okb || ia != ib {
				t.Errorf("%s call %d: run 1 %v (%v), run 2 %v (%v)", point, n, ia, oka, ib, okb)
			}
			compared++
		}
	}
	if compared == 0 {
		t.Fatal("the two runs shared no call numbers to compare")
	}
}
