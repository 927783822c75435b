package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/gameday"
)

var reportCmd = &command{
	name:  "report",
	args:  "REPORT.json",
	short: "render a game day report as a Markdown post-mortem",
	help: `Report reads a game day report (the JSON of gameday.Report, "-" for
standard input) and prints its Markdown post-mortem draft, as
Report.Markdown renders it.

examples:
  faultline report gameday-2026-11-27.json > postmortem.md`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		return func(args []string) int {
			if len(args) != 1 {
				fs.Usage()
				return exitUsage
			}
			rep, code := c.readReport(args[0])
			if code != exitOK {
				return code
			}
			io.WriteString(c.stdout, rep.Markdown())
			return exitOK
		}
	},
}

// readReport reads a game day report from the file name. On failure it
// prints why and returns the exit code.
func (c *cli) readReport(name string) (*gameday.Report, int) {
	b, err := c.readInput(name)
	if err != nil {
		return nil, c.failf(exitInvalid, "%v", err)
	}
	rep, err := gameday.ParseReport(b)
	if err != nil {
		return nil, c.failf(exitInvalid, "%s: %v", displayName(name), err)
	}
	return rep, exitOK
}

var replayCheckCmd = &command{
	name:  "replay-check",
	args:  "[-json] REPORT.json",
	short: "check that a replay reproduces a report's injections",
	help: `Replay-check replays a game day report and says whether the replay makes
the decisions the report recorded. It sets up an engine as the run's was
(the report's seed, instance and plan, as chaostest.Replay does), drives
each point the report lists through as many calls as the run made there,
and compares which calls fired, by which rule and with which kind of fault,
with the report's recorded sequence of injections. It prints, per point,
a match or the first difference. The exit code is 0 when every point
matches and 1 otherwise.

A replay reproduces a run decision for decision when the run's engine was
deterministic (made with chaos.WithSeed) and its rules decide on nothing
but the call count: rules with labels, a sticky label, a TTL or an Until
time depend on what the calls carried and when they came, which a report
does not record; replay-check warns of them.

examples:
  faultline replay-check gameday-2026-11-27.json`,
	flags: func(c *cli, fs *flag.FlagSet) func([]string) int {
		asJSON := fs.Bool("json", false, "print the result as JSON")
		return func(args []string) int {
			if len(args) != 1 {
				fs.Usage()
				return exitUsage
			}
			rep, code := c.readReport(args[0])
			if code != exitOK {
				return code
			}
			return c.replayCheck(rep, *asJSON)
		}
	},
}

// pointReplay is the replay of one point, as replay-check -json prints it.
type pointReplay struct {
	Point string `json:"point"`
	Calls uint64 `json:"calls"`
	// Recorded counts the injections the report records; Replayed those
	// the replay made.
	Recorded uint64 `json:"recorded"`
	Replayed uint64 `json:"replayed"`
	Match    bool   `json:"match"`
	// Difference says where the replay first differs.
	Difference string `json:"difference,omitempty"`
}

// replayCheck is what replay-check -json prints.
type replayCheck struct {
	Seed     uint64        `json:"seed,string"`
	Instance string        `json:"instance"`
	Plan     string        `json:"plan"`
	Match    bool          `json:"match"`
	Warnings []string      `json:"warnings,omitempty"`
	Points   []pointReplay `json:"points"`
}

func (c *cli) replayCheck(rep *gameday.Report, asJSON bool) int {
	res, err := replay(rep)
	if err != nil {
		return c.failf(exitInvalid, "%v", err)
	}
	if asJSON {
		writeJSON(c.stdout, res)
	} else {
		w := c.stdout
		for _, warn := range res.Warnings {
			fmt.Fprintf(w, "warning: %s\n", warn)
		}
		for _, p := range res.Points {
			if p.Match {
				fmt.Fprintf(w, "%s: %d calls, %d injections: match\n", p.Point, p.Calls, p.Recorded)
			} else {
				fmt.Fprintf(w, "%s: %d calls: MISMATCH: %s\n", p.Point, p.Calls, p.Difference)
			}
		}
		switch {
		case len(res.Points) == 0:
			fmt.Fprintln(w, "the report records no injections: nothing to compare")
		case res.Match:
			fmt.Fprintf(w, "the replay (seed %d, instance %q) reproduces the report's injections at %d %s\n",
				res.Seed, res.Instance, len(res.Points), plural(len(res.Points), "point", "points"))
		default:
			fmt.Fprintf(w, "the replay (seed %d, instance %q) does not reproduce the report; was the run's engine deterministic (chaos.WithSeed)?\n",
				res.Seed, res.Instance)
		}
	}
	if !res.Match {
		return exitInvalid
	}
	return exitOK
}

// replay replays rep and compares its injections with those recorded.
func replay(rep *gameday.Report) (replayCheck, error) {
	res := replayCheck{Seed: rep.Seed, Instance: rep.Instance, Plan: rep.Plan.String(), Match: true, Points: []pointReplay{}}
	for i, r := range rep.Plan.Rules {
		var why string
		switch {
		case len(r.Labels) > 0:
			why = "labels"
		case r.Sticky != "":
			why = "a sticky label"
		case r.TTL > 0 || !r.Until.IsZero():
			why = "time (ttl or until)"
		}
		if why != "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("rules[%d] %s decides on %s, which the report does not record: its decisions may not replay", i, r.String(), why))
		}
	}
	e := chaos.New(chaos.WithSeed(rep.Seed), chaos.WithInstance(rep.Instance))
	if err := e.Apply(rep.Plan); err != nil {
		return res, fmt.Errorf("the report's plan does not apply: %w", err)
	}
	ctx := context.Background()
	for _, pi := range rep.Injections {
		pt := e.Point(pi.Point)
		var got []gameday.Injection
		for range pi.Calls {
			if d := pt.Decide(ctx); d.Fired() {
				got = append(got, gameday.Injection{Seq: d.Seq(), Rule: d.Rule(), Kind: d.Kind()})
			}
		}
		pr := pointReplay{Point: pi.Point, Calls: pi.Calls, Recorded: pi.Total, Replayed: uint64(len(got))}
		pr.Difference = compareInjections(pi, got)
		pr.Match = pr.Difference == ""
		res.Match = res.Match && pr.Match
		res.Points = append(res.Points, pr)
	}
	return res, nil
}

// compareInjections compares the injections a point's report records with
// those replayed, in call order, and says where they first differ, or ""
// if they do not. The report keeps its sequence in the order the
// injections were observed, which concurrent calls may shuffle, so they
// are matched by call. A truncated sequence holds only the first
// injections observed: then only those are checked, and the totals.
func compareInjections(pi gameday.PointInjections, got []gameday.Injection) string {
	want := make(map[uint64]gameday.Injection, len(pi.Sequence))
	seqs := make([]uint64, 0, len(pi.Sequence)+len(got))
	for _, in := range pi.Sequence {
		want[in.Seq] = in
		seqs = append(seqs, in.Seq)
	}
	have := make(map[uint64]gameday.Injection, len(got))
	for _, in := range got {
		have[in.Seq] = in
		seqs = append(seqs, in.Seq)
	}
	slices.Sort(seqs)
	for _, seq := range slices.Compact(seqs) {
		w, recorded := want[seq]
		g, replayed := have[seq]
		switch {
		case !recorded && pi.Truncated:
			// Perhaps observed after the sequence was full.
		case !recorded:
			return fmt.Sprintf("call %d: the replay fires rule %d (%s), the report records nothing", seq, g.Rule, g.Kind)
		case !replayed:
			return fmt.Sprintf("call %d: the report records rule %d (%s), the replay fires nothing", seq, w.Rule, w.Kind)
		case g != w:
			return fmt.Sprintf("call %d: the report records rule %d (%s), the replay fires rule %d (%s)", seq, w.Rule, w.Kind, g.Rule, g.Kind)
		}
	}
	if uint64(len(got)) != pi.Total {
		return fmt.Sprintf("the report counts %d injections, the replay makes %d", pi.Total, len(got))
	}
	return ""
}
