package main

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/gameday"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/probes"
)

// runGameDay runs a real game day in simulated time on a seeded engine:
// its method calls two points, calls times each, and returns the report.
func runGameDay(t *testing.T, plan string, calls int) *gameday.Report {
	t.Helper()
	var rep *gameday.Report
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(2026), chaos.WithInstance("gd-1"))
		query, charge := e.Point("db.query"), e.Point("pay.charge")
		x := &gameday.Experiment{
			Title:       "replay",
			Engine:      e,
			Plan:        chaos.MustParsePlan(plan),
			SteadyState: []probes.Probe{probes.Func("up", func(context.Context) error { return nil })},
			Duration:    time.Second,
			Method: func(ctx context.Context) error {
				for range calls {
					query.Inject(ctx)
					charge.Inject(ctx)
				}
				return nil
			},
		}
		var err error
		if rep, err = x.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	return rep
}

// writeReport writes rep as JSON to a file and returns its path.
func writeReport(t *testing.T, rep *gameday.Report) string {
	t.Helper()
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "report.json", string(b))
}

func TestReport(t *testing.T) {
	rep := runGameDay(t, "db.query=10%error(timeout)", 50)
	path := writeReport(t, rep)
	o := runCLI(t, nil, "", "report", path)
	if o.code != exitOK || o.stdout != rep.Markdown() {
		t.Errorf("exit %d, output %q..., want the report's Markdown", o.code, o.stdout[:min(len(o.stdout), 80)])
	}
	if !strings.Contains(o.stdout, "replay") {
		t.Errorf("Markdown without the title: %s", o.stdout)
	}
	for _, tt := range []struct{ name, arg, stdin, wantErr string }{
		{"missing", "/nonexistent/report.json", "", "no such file"},
		{"not a report", "-", `{"schema":"something/v9"}`, "stdin: "},
		{"not JSON", "-", `hello`, "stdin: "},
	} {
		o := runCLI(t, nil, tt.stdin, "report", tt.arg)
		if o.code != exitInvalid || !strings.Contains(o.stderr, tt.wantErr) {
			t.Errorf("%s: exit %d, stderr %q; want 1 with %q", tt.name, o.code, o.stderr, tt.wantErr)
		}
	}
}

// TestReplayCheck replays real game day reports, then reports altered in
// each way a replay can differ, and checks the verdict and the first
// difference named.
func TestReplayCheck(t *testing.T) {
	const plan = "db.query=20%error(timeout);db.query=10%abort;pay.charge=3*error(declined)[after=5]"
	rep := runGameDay(t, plan, 200)
	if len(rep.Injections) != 2 || rep.Injections[0].Total == 0 {
		t.Fatalf("the game day injected %+v", rep.Injections)
	}
	tests := []struct {
		name    string
		alter   func(r *gameday.Report)
		code    int
		wantOut []string
	}{
		{name: "as recorded", code: exitOK, wantOut: []string{
			"db.query: 200 calls, ", " injections: match",
			"pay.charge: 200 calls, 3 injections: match",
			`reproduces the report's injections at 2 points`,
		}},
		{name: "observed out of order", alter: func(r *gameday.Report) {
			s := r.Injections[0].Sequence
			s[0], s[1] = s[1], s[0]
		}, code: exitOK},
		{name: "another seed", alter: func(r *gameday.Report) { r.Seed++ }, code: exitInvalid, wantOut: []string{"db.query: 200 calls: MISMATCH: call ", "was the run's engine deterministic"}},
		{name: "another rule", alter: func(r *gameday.Report) {
			r.Injections[1].Sequence[1].Rule = 7
		}, code: exitInvalid, wantOut: []string{"pay.charge: 200 calls: MISMATCH: call 7: the report records rule 7 (error), the replay fires rule 2 (error)"}},
		{name: "another kind", alter: func(r *gameday.Report) {
			r.Injections[1].Sequence[2].Kind = faults.KindLatency
		}, code: exitInvalid, wantOut: []string{"MISMATCH: call 8: the report records rule 2 (latency), the replay fires rule 2 (error)"}},
		{name: "an injection the replay does not make", alter: func(r *gameday.Report) {
			pi := &r.Injections[1]
			pi.Sequence = append(pi.Sequence, gameday.Injection{Seq: 150, Rule: 2, Kind: faults.KindError})
			pi.Total++
		}, code: exitInvalid, wantOut: []string{"MISMATCH: call 150: the report records rule 2 (error), the replay fires nothing"}},
		{name: "an injection the report does not record", alter: func(r *gameday.Report) {
			pi := &r.Injections[1]
			pi.Sequence = pi.Sequence[1:]
			pi.Total--
		}, code: exitInvalid, wantOut: []string{"MISMATCH: call 6: the replay fires rule 2 (error), the report records nothing"}},
		{name: "truncated sequence", alter: func(r *gameday.Report) {
			pi := &r.Injections[0]
			pi.Sequence, pi.Truncated = pi.Sequence[:3], true
		}, code: exitOK},
		{name: "truncated sequence with another total", alter: func(r *gameday.Report) {
			pi := &r.Injections[0]
			pi.Sequence, pi.Truncated = pi.Sequence[:3], true
			pi.Total += 2
		}, code: exitInvalid, wantOut: []string{"injections, the replay makes"}},
		{name: "fewer calls", alter: func(r *gameday.Report) { r.Injections[1].Calls = 6 }, code: exitInvalid, wantOut: []string{"MISMATCH: call 7: the report records rule 2 (error), the replay fires nothing"}},
		{name: "rules that do not replay", alter: func(r *gameday.Report) {
			r.Plan.Rules[2].Labels = map[string]string{"tenant": "a"}
		}, code: exitInvalid, wantOut: []string{"warning: rules[2] pay.charge=3*error(declined)[after=5,label.tenant=a] decides on labels"}},
		{name: "no injections", alter: func(r *gameday.Report) { r.Injections = nil }, code: exitOK, wantOut: []string{"nothing to compare"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := *rep
			r.Plan = chaos.ClonePlan(rep.Plan)
			r.Injections = nil
			for _, pi := range rep.Injections {
				pi.Sequence = append([]gameday.Injection(nil), pi.Sequence...)
				r.Injections = append(r.Injections, pi)
			}
			if tt.alter != nil {
				tt.alter(&r)
			}
			o := runCLI(t, nil, "", "replay-check", writeReport(t, &r))
			if o.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", o.code, tt.code, o.stdout, o.stderr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(o.stdout, w) {
					t.Errorf("output does not say %q:\n%s", w, o.stdout)
				}
			}
		})
	}
}
