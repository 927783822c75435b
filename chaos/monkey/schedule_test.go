package monkey_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/monkey"
	"github.com/faultline-go/faultline/faults"
)

var candidates = []chaos.Rule{
	{Point: "payments.charge", Fault: faults.Error("declined"), Rate: 1},
	{Point: "db.query", Fault: faults.Latency(200 * time.Millisecond), Rate: 0.5},
	{Point: "GET /users/*", Fault: faults.HTTPStatus(503, ""), Rate: 1, TTL: 5 * time.Minute},
}

func mustNew(t interface {
	Helper()
	Fatal(...any)
}, e *chaos.Engine, opts ...monkey.Option) *monkey.Monkey {
	t.Helper()
	m, err := monkey.New(e, candidates, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewInvalid(t *testing.T) {
	tests := []struct {
		name  string
		cands []chaos.Rule
		opts  []monkey.Option
		want  string
	}{
		{name: "no candidates", want: "candidates: none given"},
		{name: "bad candidate", cands: []chaos.Rule{{Point: "x", Fault: faults.Abort(), Rate: 2}}, want: "candidates[0].rate"},
		{name: "bad base", opts: []monkey.Option{monkey.WithBase(chaos.Plan{Rules: []chaos.Rule{{Point: "", Fault: faults.Abort(), Rate: 1}}})}, want: "base[0].point"},
		{name: "mean", opts: []monkey.Option{monkey.WithMeanInterval(-time.Second)}, want: "mean interval: -1s is negative"},
		{name: "length", opts: []monkey.Option{monkey.WithLength(-time.Second)}, want: "length: -1s is negative"},
		{name: "share high", opts: []monkey.Option{monkey.WithShare(1.5)}, want: "share: 1.5 is outside (0,1]"},
		{name: "share NaN", opts: []monkey.Option{monkey.WithShare(math.NaN())}, want: "share: NaN"},
		{name: "window day", opts: []monkey.Option{monkey.WithWindows(chaos.TimeWindow{Days: []time.Weekday{9}})}, want: "windows[0].days: 9 is not a weekday"},
		{name: "window start", opts: []monkey.Option{monkey.WithWindows(chaos.TimeWindow{Start: "9am"})}, want: `windows[0].start: "9am" is not a time of day`},
		{name: "window end", opts: []monkey.Option{monkey.WithWindows(chaos.TimeWindow{End: "25:00"})}, want: `windows[0].end`},
		{name: "window zone", opts: []monkey.Option{monkey.WithWindows(chaos.TimeWindow{Location: "Mars/Olympus"})}, want: `windows[0].location: "Mars/Olympus" is not a time zone`},
		{name: "never open", opts: []monkey.Option{monkey.WithWindows(chaos.TimeWindow{Start: "10:00", End: "10:00"})}, want: "windows: never open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cands := tt.cands
			if cands == nil && tt.name != "no candidates" {
				cands = candidates
			}
			m, err := monkey.New(chaos.New(), cands, tt.opts...)
			if !errors.Is(err, monkey.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, %v; want an error matching ErrInvalid and holding %q", m, err, tt.want)
			}
		})
	}
}

// windowCase is a set of windows with an independent predicate saying
// whether a time is inside.
type windowCase struct {
	name    string
	windows []chaos.TimeWindow
	inside  func(time.Time) bool
}

func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	paris   = zone("Europe/Paris")
	newYork = zone("America/New_York")
)

var windowCases = []windowCase{
	{name: "always", inside: func(time.Time) bool { return true }},
	{
		name:    "workdays UTC",
		windows: []chaos.TimeWindow{{Days: weekdays, Start: "09:00", End: "17:00"}},
		inside: func(t time.Time) bool {
			t = t.UTC()
			return t.Weekday() >= time.Monday && t.Weekday() <= time.Friday && t.Hour() >= 9 && t.Hour() < 17
		},
	},
	{
		name:    "workdays Paris",
		windows: []chaos.TimeWindow{{Days: weekdays, Start: "09:30", End: "16:00", Location: "Europe/Paris"}},
		inside: func(t time.Time) bool {
			t = t.In(paris)
			m := t.Hour()*60 + t.Minute()
			return t.Weekday() >= time.Monday && t.Weekday() <= time.Friday && m >= 9*60+30 && m < 16*60
		},
	},
	{
		name:    "nights across midnight",
		windows: []chaos.TimeWindow{{Start: "22:00", End: "02:00", Location: "America/New_York"}},
		inside: func(t time.Time) bool {
			h := t.In(newYork).Hour()
			return h >= 22 || h < 2
		},
	},
	{
		name: "two windows",
		windows: []chaos.TimeWindow{
			{Days: []time.Weekday{time.Tuesday}, Start: "10:00", End: "11:00"},
			{Days: []time.Weekday{time.Thursday}, Start: "14:00", End: "15:30"},
		},
		inside: func(t time.Time) bool {
			t = t.UTC()
			m := t.Hour()*60 + t.Minute()
			return t.Weekday() == time.Tuesday && m >= 600 && m < 660 || t.Weekday() == time.Thursday && m >= 840 && m < 930
		},
	},
}

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

// The schedule keeps every rule the settings state, whatever the seed.
func TestScheduleProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		wc := rapid.SampledFrom(windowCases).Draw(t, "windows")
		seed := rapid.Uint64().Draw(t, "seed")
		mean := time.Duration(rapid.IntRange(1, 16).Draw(t, "mean hours")) * time.Hour
		length := time.Duration(rapid.IntRange(1, 180).Draw(t, "length minutes")) * time.Minute
		gap := time.Duration(rapid.IntRange(0, 24*60).Draw(t, "gap minutes")) * time.Minute
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rapid.Int64Range(0, 3*365*24*60).Draw(t, "start minute")) * time.Minute)
		opts := []monkey.Option{monkey.WithSeed(seed), monkey.WithMeanInterval(mean), monkey.WithLength(length), monkey.WithMinGap(gap), monkey.WithWindows(wc.windows...)}
		m := mustNew(t, chaos.New(chaos.WithInstance("i-1")), opts...)
		got := m.Schedule(start, 20)
		if len(got) != 20 {
			t.Fatalf("%d activations, want 20", len(got))
		}
		for i, a := range got {
			if a.N != uint64(i+1) {
				t.Fatalf("activation %d numbered %d", i, a.N)
			}
			if a.Start.Before(start) {
				t.Fatalf("activation %d starts at %v, before the run at %v", a.N, a.Start, start)
			}
			d := a.End.Sub(a.Start)
			if d <= 0 || d > length {
				t.Fatalf("activation %d lasts %v, want (0, %v]", a.N, d, length)
			}
			for at := a.Start; at.Before(a.End); at = at.Add(5 * time.Minute) {
				if !wc.inside(at) {
					t.Fatalf("activation %d [%v, %v) is outside the windows at %v", a.N, a.Start, a.End, at)
				}
			}
			if !wc.inside(a.End.Add(-time.Nanosecond)) {
				t.Fatalf("activation %d ends at %v, after its window closed", a.N, a.End)
			}
			if d < length && wc.inside(a.End) {
				t.Fatalf("activation %d cut to %v while its window is still open at %v", a.N, d, a.End)
			}
			want := candidates[a.Candidate]
			if want.TTL == 0 || want.TTL > d {
				want.TTL = d
			}
			if !a.Rule.Equal(want) {
				t.Fatalf("activation %d rule %v, want %v", a.N, a.Rule, want)
			}
			if i > 0 {
				prev := got[i-1]
				if a.Start.Before(prev.End) {
					t.Fatalf("activation %d starts at %v, before %d ended at %v", a.N, a.Start, prev.N, prev.End)
				}
				if a.Start.Sub(prev.Start) < gap {
					t.Fatalf("activations %d and %d start %v apart, less than the gap %v", prev.N, a.N, a.Start.Sub(prev.Start), gap)
				}
			}
		}
		// The same seed and start replay the same schedule, on another
		// monkey as on this one.
		again := mustNew(t, chaos.New(chaos.WithInstance("i-1")), opts...).Schedule(start, 20)
		for i := range got {
			if !sameActivation(got[i], again[i]) {
				t.Fatalf("replay differs at %d: %+v vs %+v", i, got[i], again[i])
			}
		}
	})
}

func sameActivation(a, b monkey.Activation) bool {
	return a.N == b.N && a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.Candidate == b.Candidate &&
		a.Rule.Equal(b.Rule) && a.Skipped == b.Skipped && errors.Is(a.Err, b.Err)
}

// The seed is the engine's unless set.
func TestScheduleSeed(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	a := mustNew(t, chaos.New(chaos.WithSeed(7))).Schedule(start, 5)
	b := mustNew(t, chaos.New(chaos.WithSeed(1)), monkey.WithSeed(7)).Schedule(start, 5)
	c := mustNew(t, chaos.New(chaos.WithSeed(8))).Schedule(start, 5)
	same := func(x, y []monkey.Activation) bool {
		for i := range x {
			if !sameActivation(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("WithSeed(7) differs from an engine seeded with 7")
	}
	if same(a, c) {
		t.Error("seeds 7 and 8 gave the same schedule")
	}
}

// Over a simulated year, the number of activations matches the mean: with
// workday windows of 8h and a mean of 8h, about one a workday, less the
// time each activation holds the next back.
func TestMeanFrequency(t *testing.T) {
	const (
		mean   = 8 * time.Hour
		length = 10 * time.Minute
		weeks  = 52
	)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday
	end := start.AddDate(0, 0, 7*weeks)
	for _, wc := range windowCases[:2] {
		t.Run(wc.name, func(t *testing.T) {
			openHours := weeks * 40.0
			if wc.windows == nil {
				openHours = weeks * 168.0
			}
			// Each activation is an exponential wait plus its length, of
			// open time; the count of such a renewal process has a
			// standard deviation of about sqrt(n).
			perSeed := openHours / (mean + length).Hours()
			var total float64
			const seeds = 10
			for seed := range uint64(seeds) {
				m := mustNew(t, chaos.New(), monkey.WithSeed(seed), monkey.WithMeanInterval(mean), monkey.WithLength(length), monkey.WithWindows(wc.windows...))
				n := 0
				for _, a := range m.Schedule(start, int(2*perSeed)) {
					if !a.Start.Before(end) {
						break
					}
					n++
				}
				if sd := math.Sqrt(perSeed); math.Abs(float64(n)-perSeed) > 4.5*sd {
					t.Errorf("seed %d: %d activations in %d weeks, want %.0f ± %.0f", seed, n, weeks, perSeed, 4.5*sd)
				}
				total += float64(n)
			}
			want, sd := perSeed*seeds, math.Sqrt(perSeed*seeds)
			if math.Abs(total-want) > 4*sd {
				t.Errorf("%.0f activations over %d seeds, want %.0f ± %.0f", total, seeds, want, 4*sd)
			}
			t.Logf("%.0f activations over %d seeds, expected %.0f", total, seeds, want)
		})
	}
}

// Each activation draws its share of instances afresh; every instance
// agrees on the schedule, and over many activations each takes part about
// as often as the share says.
func TestShare(t *testing.T) {
	const (
		share     = 0.3
		instances = 200
		acts      = 100
	)
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	var first []monkey.Activation
	took := 0
	everyone := 0
	for i := range instances {
		e := chaos.New(chaos.WithSeed(42), chaos.WithInstance(fmt.Sprintf("web-%d", i)))
		sched := mustNew(t, e, monkey.WithShare(share)).Schedule(start, acts)
		if first == nil {
			first = sched
		}
		mine := 0
		for j, a := range sched {
			if !a.Start.Equal(first[j].Start) || a.Candidate != first[j].Candidate {
				t.Fatalf("instance %d disagrees on activation %d", i, a.N)
			}
			if !a.Skipped {
				mine++
			}
		}
		if mine > 0 {
			everyone++
		}
		took += mine
	}
	frac := float64(took) / (instances * acts)
	// Binomial over 20000 draws: sd about 0.0032.
	if math.Abs(frac-share) > 0.015 {
		t.Errorf("instances took part %.3f of the time, want %.2f", frac, share)
	}
	if everyone < instances*95/100 {
		t.Errorf("only %d of %d instances ever took part", everyone, instances)
	}
	// Each activation takes its own sample: the takers differ.
	perAct := make([]int, acts)
	for i := range instances {
		e := chaos.New(chaos.WithSeed(42), chaos.WithInstance(fmt.Sprintf("web-%d", i)))
		for j, a := range mustNew(t, e, monkey.WithShare(share)).Schedule(start, acts) {
			if !a.Skipped {
				perAct[j]++
			}
		}
	}
	for j, n := range perAct {
		if n == 0 || n == instances {
			t.Errorf("activation %d: %d of %d instances took part", j+1, n, instances)
		}
	}
}

// Zero means the default and a negative value turns a setting off: each
// option so given makes the schedule of the settings it stands for.
func TestOptionZeroAndNegative(t *testing.T) {
	tests := []struct {
		name     string
		opts, as []monkey.Option
	}{
		{"zero mean interval", []monkey.Option{monkey.WithMeanInterval(0)}, []monkey.Option{monkey.WithMeanInterval(monkey.DefaultMeanInterval)}},
		{"zero length", []monkey.Option{monkey.WithLength(0)}, []monkey.Option{monkey.WithLength(monkey.DefaultLength)}},
		{"zero min gap", []monkey.Option{monkey.WithMinGap(time.Hour), monkey.WithMinGap(0)}, nil},
		{"negative min gap", []monkey.Option{monkey.WithMinGap(-time.Hour)}, nil},
		{"zero share", []monkey.Option{monkey.WithShare(0)}, []monkey.Option{monkey.WithShare(1)}},
		{"negative share", []monkey.Option{monkey.WithShare(0.5), monkey.WithShare(-1)}, []monkey.Option{monkey.WithShare(1)}},
	}
	from := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(7), chaos.WithInstance("web-1"))
			got := mustNew(t, e, tt.opts...).Schedule(from, 20)
			want := mustNew(t, e, tt.as...).Schedule(from, 20)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("schedule differs:\n got %v\nwant %v", got, want)
			}
		})
	}
}
