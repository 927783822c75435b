package source_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	"github.com/faultline-go/faultline/faults"
)

func TestRunnerUpdates(t *testing.T) {
	a := source.Update{Plan: chaos.MustParsePlan("db.query=error(a)"), Version: "v1"}
	b := source.Update{Plan: chaos.MustParsePlan("db.query=error(b)"), Version: "v2"}
	bad := source.Update{Err: fmt.Errorf("decoding: %w", chaos.ErrInvalidPlan)}
	tooHot := source.Update{Plan: chaos.MustParsePlan("db.query=panic(boom)"), Version: "v3"}
	stale := source.Update{Err: fmt.Errorf("%w: none for 5m", source.ErrStale)}
	empty := source.Update{Version: "off"}

	tests := []struct {
		name    string
		updates []source.Update
		plan    string // the engine's plan after, in text form
		active  string // its recorded source
		want    source.RunnerStatus
		errIs   error // Status.Err matches it
		lastIs  error // Status.LastErr matches it
	}{
		{
			name:    "applies a plan",
			updates: []source.Update{a},
			plan:    "db.query=error(a)", active: "test@v1",
			want: source.RunnerStatus{Version: "v1", Applied: 1},
		},
		{
			name:    "applies each change",
			updates: []source.Update{a, b},
			plan:    "db.query=error(b)", active: "test@v2",
			want: source.RunnerStatus{Version: "v2", Applied: 2},
		},
		{
			name:    "bad document keeps the last good plan",
			updates: []source.Update{a, bad},
			plan:    "db.query=error(a)", active: "test@v1",
			want:  source.RunnerStatus{Version: "v1", Applied: 1, Failed: 1},
			errIs: chaos.ErrInvalidPlan, lastIs: chaos.ErrInvalidPlan,
		},
		{
			name:    "refused plan keeps the last good plan",
			updates: []source.Update{a, tooHot},
			plan:    "db.query=error(a)", active: "test@v1",
			want:  source.RunnerStatus{Version: "v1", Applied: 1, Refused: 1},
			errIs: chaos.ErrRefused, lastIs: chaos.ErrRefused,
		},
		{
			name:    "a later good plan clears the error",
			updates: []source.Update{a, bad, b},
			plan:    "db.query=error(b)", active: "test@v2",
			want:   source.RunnerStatus{Version: "v2", Applied: 2, Failed: 1},
			lastIs: chaos.ErrInvalidPlan,
		},
		{
			name:    "a later unchanged plan clears the error",
			updates: []source.Update{a, tooHot, a},
			plan:    "db.query=error(a)", active: "test@v1",
			want:   source.RunnerStatus{Version: "v1", Applied: 1, Refused: 1, Unchanged: 1},
			lastIs: chaos.ErrRefused,
		},
		{
			name:    "equal plan is skipped",
			updates: []source.Update{a, {Plan: a.Plan, Version: "other"}},
			plan:    "db.query=error(a)", active: "test@v1",
			want: source.RunnerStatus{Version: "v1", Applied: 1, Unchanged: 1},
		},
		{
			name:    "empty plan switches faults off",
			updates: []source.Update{a, empty},
			plan:    "", active: "test@off",
			want: source.RunnerStatus{Version: "off", Applied: 2},
		},
		{
			name:    "stale switches faults off",
			updates: []source.Update{a, stale},
			plan:    "", active: "test@stale",
			want:  source.RunnerStatus{Version: "stale", Stale: true, Applied: 1, Failed: 1},
			errIs: source.ErrStale, lastIs: source.ErrStale,
		},
		{
			name:    "after stale the same plan applies again",
			updates: []source.Update{a, stale, a},
			plan:    "db.query=error(a)", active: "test@v1",
			want:   source.RunnerStatus{Version: "v1", Applied: 2, Failed: 1},
			lastIs: source.ErrStale,
		},
		{
			name:    "first update may fail",
			updates: []source.Update{bad},
			plan:    "", active: "",
			want:  source.RunnerStatus{Failed: 1},
			errIs: chaos.ErrInvalidPlan, lastIs: chaos.ErrInvalidPlan,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{Kinds: []faults.Kind{faults.KindError}}))
			var seen []source.RunnerStatus
			r := source.NewRunner(e, listSource{"test", tt.updates}, source.WithOnUpdate(func(s source.RunnerStatus) { seen = append(seen, s) }))
			if err := r.Run(t.Context()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := e.Plan().String(); got != tt.plan {
				t.Errorf("plan = %q, want %q", got, tt.plan)
			}
			if got := e.Active().Source; got != tt.active {
				t.Errorf("active source = %q, want %q", got, tt.active)
			}
			got := r.Status()
			if !errors.Is(got.Err, tt.errIs) || (tt.errIs == nil) != (got.Err == nil) || (got.Err == nil) != got.ErrAt.IsZero() {
				t.Errorf("Status().Err = %v at %v, want one matching %v", got.Err, got.ErrAt, tt.errIs)
			}
			if !errors.Is(got.LastErr, tt.lastIs) || (tt.lastIs == nil) != (got.LastErr == nil) || (got.LastErr == nil) != got.LastErrAt.IsZero() {
				t.Errorf("Status().LastErr = %v at %v, want one matching %v", got.LastErr, got.LastErrAt, tt.lastIs)
			}
			if (tt.want.Applied > 0) == got.AppliedAt.IsZero() {
				t.Errorf("AppliedAt = %v with %d applied", got.AppliedAt, got.Applied)
			}
			tt.want.Source = "test"
			got.Err, got.ErrAt, got.LastErr, got.LastErrAt, got.AppliedAt = nil, time.Time{}, nil, time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("Status() = %+v, want %+v", got, tt.want)
			}
			if len(seen) != len(tt.updates) {
				t.Errorf("OnUpdate called %d times, want %d", len(seen), len(tt.updates))
			}
		})
	}
}

// chanRig runs a runner over a chanSource inside a synctest bubble.
type chanRig struct {
	t   *testing.T
	eng *chaos.Engine
	ch  chan source.Update
	r   *source.Runner
}

func newChanRig(t *testing.T, opts ...source.RunnerOption) *chanRig {
	g := &chanRig{t: t, eng: chaos.New(chaos.WithSeed(1)), ch: make(chan source.Update)}
	g.r = source.NewRunner(g.eng, chanSource(g.ch), opts...)
	stop := run(t, g.r)
	t.Cleanup(func() { _ = stop() })
	return g
}

// send hands u to the runner and waits until it is handled.
func (g *chanRig) send(u source.Update) {
	g.ch <- u
	synctest.Wait()
}

// want checks the engine's plan, its kill switch, and the runner's counts.
func (g *chanRig) want(step, plan string, disabled bool, applied, held uint64) {
	g.t.Helper()
	if got := g.eng.Plan().String(); got != plan {
		g.t.Errorf("%s: plan = %q, want %q", step, got, plan)
	}
	if got := g.eng.Disabled(); got != disabled {
		g.t.Errorf("%s: Disabled() = %v, want %v", step, got, disabled)
	}
	if s := g.r.Status(); s.Applied != applied || s.Held != held || s.Holding != disabled {
		g.t.Errorf("%s: status = %+v, want %d applied, %d held, holding %v", step, s, applied, held, disabled)
	}
}

// The kill switch holds until a person re-arms the engine, whatever the
// source yields: the same plan, a changed one, the fail-safe and a plan
// after it. Once re-armed, the source's current plan applies.
func TestRunnerKillSwitchHolds(t *testing.T) {
	a := source.Update{Plan: chaos.MustParsePlan("db.query=error(a)"), Version: "v1"}
	b := source.Update{Plan: chaos.MustParsePlan("db.query=error(b)"), Version: "v2"}
	stale := source.Update{Err: fmt.Errorf("%w: none for 5m", source.ErrStale)}
	tests := []struct {
		name  string
		after []source.Update // what the source yields after the kill
		plan  string          // the plan that applies after the re-arm
		held  uint64
	}{
		{name: "unchanged plan", after: []source.Update{a}, plan: "db.query=error(a)", held: 1},
		{name: "changed plan", after: []source.Update{b}, plan: "db.query=error(b)", held: 1},
		{name: "nothing", plan: "db.query=error(a)"},
		{name: "stale then the plan back", after: []source.Update{stale, a}, plan: "db.query=error(a)", held: 1},
		{name: "stale", after: []source.Update{stale}, plan: ""},
		{name: "failure", after: []source.Update{{Err: errors.New("boom")}}, plan: "db.query=error(a)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newChanRig(t)
				g.send(a)
				g.eng.Disable("test: alice")
				for _, u := range tt.after {
					g.send(u)
				}
				tick(time.Hour)
				g.want("killed", "", true, 1, tt.held)

				g.eng.Rearm("test: bob")
				tick(source.DefaultRearmCheck)
				g.want("re-armed", tt.plan, false, 1+min(uint64(len(tt.plan)), 1), tt.held)
				if s := g.r.Status(); tt.plan == "" && s.Version != "stale" {
					t.Errorf("status = %+v, want the fail-safe's plan applied", s)
				}
			})
		})
	}
}

// After a re-arm, the next update applies the source's plan even when it
// did not change, also with the runner's own check of the kill switch off.
func TestRunnerRearmNextUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := source.Update{Plan: chaos.MustParsePlan("db.query=error(a)"), Version: "v1"}
		g := newChanRig(t, source.WithRearmCheck(-1))
		g.send(a)
		g.eng.Disable("test: alice")
		g.eng.Rearm("test: alice")
		tick(time.Hour)
		g.want("re-armed, no update yet", "", false, 1, 0)
		g.send(a)
		g.want("the same plan again", "db.query=error(a)", false, 2, 0)
		g.send(a)
		g.want("and again", "db.query=error(a)", false, 2, 0)
		if s := g.r.Status(); s.Unchanged != 1 {
			t.Errorf("status = %+v, want 1 unchanged", s)
		}
	})
}

// A plan applied by someone else is not skipped as unchanged either: the
// next update puts the source's plan back.
func TestRunnerOtherApply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := source.Update{Plan: chaos.MustParsePlan("db.query=error(a)"), Version: "v1"}
		g := newChanRig(t)
		g.send(a)
		if err := g.eng.Apply(chaos.MustParsePlan("x=abort"), chaos.FromSource("admin")); err != nil {
			t.Fatal(err)
		}
		g.send(a)
		g.want("after another apply", "db.query=error(a)", false, 2, 0)
	})
}

// The runner logs a hold once per version, however often the source
// yields it.
func TestRunnerHeldLogsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime}))
		g := newChanRig(t, source.WithLogger(l))
		g.eng.Disable("test: alice")
		for _, v := range []string{"v1", "v1", "v1", "v2", "v2"} {
			g.send(source.Update{Plan: chaos.MustParsePlan("x=error(" + v + ")"), Version: v})
		}
		tick(time.Minute)
		want := `level=INFO msg="faultline: kill switch thrown, holding the plan until the engine is re-armed" source=chan version=v1
level=INFO msg="faultline: kill switch thrown, holding the plan until the engine is re-armed" source=chan version=v2
`
		if buf.String() != want {
			t.Errorf("log =\n%s\nwant\n%s", buf.String(), want)
		}
		if s := g.r.Status(); s.Held != 5 || s.Err != nil || s.Failed+s.Refused != 0 {
			t.Errorf("status = %+v, want 5 held and no error", s)
		}
	})
}

// chanSource yields what arrives on its channel until ctx is done.
type chanSource chan source.Update

func (chanSource) Name() string { return "chan" }

func (c chanSource) Watch(ctx context.Context, yield func(source.Update)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err() // the runner treats it as a normal stop
		case u := <-c:
			yield(u)
		}
	}
}

type failingSource struct{}

func (failingSource) Name() string { return "failing" }
func (failingSource) Watch(context.Context, func(source.Update)) error {
	return errors.New("misconfigured")
}

func TestRunnerRun(t *testing.T) {
	t.Run("source error", func(t *testing.T) {
		err := source.NewRunner(chaos.New(), failingSource{}).Run(t.Context())
		if err == nil || !strings.Contains(err.Error(), "source: watching failing: misconfigured") {
			t.Fatalf("Run = %v, want the source's error wrapped", err)
		}
	})
	t.Run("no source", func(t *testing.T) {
		if err := source.NewRunner(nil, nil).Run(t.Context()); err == nil {
			t.Fatal("Run without a source returned nil")
		}
	})
	t.Run("stop returns nil", func(t *testing.T) {
		r := source.NewRunner(chaos.New(), chanSource(make(chan source.Update)))
		if err := run(t, r)(); err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	})
	t.Run("twice", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := source.NewRunner(chaos.New(), chanSource(make(chan source.Update)))
			stop := run(t, r)
			synctest.Wait()
			if err := r.Run(t.Context()); !errors.Is(err, source.ErrRunning) {
				t.Errorf("second Run = %v, want ErrRunning", err)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("nothing applied after cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		e := chaos.New()
		late := lateSource{cancel: cancel}
		if err := source.NewRunner(e, late).Run(ctx); err != nil {
			t.Fatal(err)
		}
		if len(e.Plan().Rules) != 0 {
			t.Errorf("plan %q applied after the context was done", e.Plan())
		}
	})
	t.Run("nil engine means the default", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			prev := chaos.Default()
			defer chaos.SetDefault(prev)
			e := chaos.New()
			chaos.SetDefault(e)
			src := listSource{"test", []source.Update{{Plan: chaos.MustParsePlan("x=abort")}}}
			if err := source.NewRunner(nil, src).Run(t.Context()); err != nil {
				t.Fatal(err)
			}
			if e.Plan().String() != "x=abort" {
				t.Errorf("default engine's plan = %q", e.Plan())
			}
		})
	})
}

// lateSource cancels the run, then yields.
type lateSource struct{ cancel func() }

func (lateSource) Name() string { return "late" }
func (s lateSource) Watch(_ context.Context, yield func(source.Update)) error {
	s.cancel()
	yield(source.Update{Plan: chaos.MustParsePlan("x=abort")})
	return nil
}

func TestRunnerLogs(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime, Level: slog.LevelDebug}))
	src := listSource{"test", []source.Update{
		{Plan: chaos.MustParsePlan("x=abort"), Version: "v1"},
		{Err: errors.New("boom")},
	}}
	if err := source.NewRunner(chaos.New(), src, source.WithLogger(l)).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := `level=INFO msg="faultline: plan applied from source" source=test version=v1 rules=1 plan="x=abort"
level=WARN msg="faultline: plan source failed, keeping the last good plan" source=test error=boom
`
	if buf.String() != want {
		t.Errorf("log =\n%s\nwant\n%s", buf.String(), want)
	}
}

// The plan text in the log is cut to a bounded length.
func TestRunnerLogsLongPlan(t *testing.T) {
	var rules []string
	for i := range 200 {
		rules = append(rules, fmt.Sprintf("point.number.%d=error(x)", i))
	}
	p := chaos.MustParsePlan(strings.Join(rules, ";"))
	var got map[string]any
	h := slog.NewJSONHandler(writerFunc(func(b []byte) (int, error) { return len(b), json.Unmarshal(b, &got) }), nil)
	src := listSource{"test", []source.Update{{Plan: p, Version: "big"}}}
	if err := source.NewRunner(chaos.New(), src, source.WithLogger(slog.New(h))).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	text, _ := got["plan"].(string)
	full := p.String()
	if len(text) > 1100 || !strings.HasPrefix(text, full[:1000]) || !strings.HasSuffix(text, fmt.Sprintf("… (%d bytes)", len(full))) {
		t.Errorf("logged plan (%d bytes) = %.80q…%q", len(text), text, text[max(len(text)-40, 0):])
	}
	if got["version"] != "big" || got["level"] != "INFO" {
		t.Errorf("log = %v", got)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestStatusJSON(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := source.RunnerStatus{Source: "env", Version: "v1", AppliedAt: at, Holding: true, Err: errors.New("boom"), ErrAt: at, LastErr: errors.New("boom"), LastErrAt: at, Applied: 2, Held: 3, Failed: 1}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"source":"env","version":"v1","applied_at":"2026-11-25T10:00:00Z","holding":true,"error":"boom","error_at":"2026-11-25T10:00:00Z","last_error":"boom","last_error_at":"2026-11-25T10:00:00Z","applied":2,"unchanged":0,"held":3,"failed":1,"refused":0}`
	if string(b) != want {
		t.Errorf("json = %s\nwant   %s", b, want)
	}
}

// A rule's TTL, given by a source, stops it firing without any call.
func TestRunnerTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		p := e.Point("db.query")
		ch := make(chan source.Update)
		stop := run(t, source.NewRunner(e, chanSource(ch)))
		ch <- source.Update{Plan: chaos.MustParsePlan("db.query=error(x)[ttl=1m]")}
		synctest.Wait()
		if err := p.Inject(t.Context()); err == nil {
			t.Fatal("the rule did not fire before its TTL")
		}
		tick(time.Minute) // the engine's expiry timer has run
		if p.Armed() {
			t.Error("the point is still armed after the TTL")
		}
		if err := p.Inject(t.Context()); err != nil {
			t.Errorf("the rule fired after its TTL: %v", err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}
