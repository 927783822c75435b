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
		want    source.Status
		errIs   error // Status.Err matches it
	}{
		{
			name:    "applies a plan",
			updates: []source.Update{a},
			plan:    "db.query=error(a)", active: "test@v1",
			want: source.Status{Version: "v1", Applied: 1},
		},
		{
			name:    "applies each change",
			updates: []source.Update{a, b},
			plan:    "db.query=error(b)", active: "test@v2",
			want: source.Status{Version: "v2", Applied: 2},
		},
		{
			name:    "bad document keeps the last good plan",
			updates: []source.Update{a, bad},
			plan:    "db.query=error(a)", active: "test@v1",
			want:  source.Status{Version: "v1", Applied: 1, Failed: 1},
			errIs: chaos.ErrInvalidPlan,
		},
		{
			name:    "refused plan keeps the last good plan",
			updates: []source.Update{a, tooHot},
			plan:    "db.query=error(a)", active: "test@v1",
			want:  source.Status{Version: "v1", Applied: 1, Refused: 1},
			errIs: chaos.ErrRefused,
		},
		{
			name:    "equal plan is skipped",
			updates: []source.Update{a, {Plan: a.Plan, Version: "other"}},
			plan:    "db.query=error(a)", active: "test@v1",
			want: source.Status{Version: "v1", Applied: 1, Unchanged: 1},
		},
		{
			name:    "empty plan switches faults off",
			updates: []source.Update{a, empty},
			plan:    "", active: "test@off",
			want: source.Status{Version: "off", Applied: 2},
		},
		{
			name:    "stale switches faults off",
			updates: []source.Update{a, stale},
			plan:    "", active: "test@stale",
			want:  source.Status{Version: "stale", Stale: true, Applied: 1, Failed: 1},
			errIs: source.ErrStale,
		},
		{
			name:    "after stale the same plan applies again",
			updates: []source.Update{a, stale, a},
			plan:    "db.query=error(a)", active: "test@v1",
			want:  source.Status{Version: "v1", Applied: 2, Failed: 1},
			errIs: source.ErrStale,
		},
		{
			name:    "first update may fail",
			updates: []source.Update{bad},
			plan:    "", active: "",
			want:  source.Status{Failed: 1},
			errIs: chaos.ErrInvalidPlan,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{Kinds: []faults.Kind{faults.KindError}}))
			var seen []source.Status
			r := source.NewRunner(e, listSource{"test", tt.updates}, source.WithOnUpdate(func(s source.Status) { seen = append(seen, s) }))
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
			if !errors.Is(got.Err, tt.errIs) || (tt.errIs == nil) != (got.Err == nil) {
				t.Errorf("Status().Err = %v, want one matching %v", got.Err, tt.errIs)
			}
			if (tt.want.Applied > 0) == got.AppliedAt.IsZero() {
				t.Errorf("AppliedAt = %v with %d applied", got.AppliedAt, got.Applied)
			}
			tt.want.Source = "test"
			got.Err, got.ErrAt, got.AppliedAt = nil, time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("Status() = %+v, want %+v", got, tt.want)
			}
			if len(seen) != len(tt.updates) {
				t.Errorf("OnUpdate called %d times, want %d", len(seen), len(tt.updates))
			}
		})
	}
}

// A kill switch thrown by hand holds until the source's document changes.
func TestRunnerKillSwitchHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := source.Update{Plan: chaos.MustParsePlan("db.query=error(a)"), Version: "v1"}
		b := source.Update{Plan: chaos.MustParsePlan("db.query=error(b)"), Version: "v2"}
		e := chaos.New(chaos.WithSeed(1))
		ch := make(chan source.Update)
		r := source.NewRunner(e, chanSource(ch))
		stop := run(t, r)
		defer stop()

		ch <- a
		synctest.Wait()
		e.Disable()
		ch <- a
		synctest.Wait()
		if !e.Disabled() {
			t.Fatal("an unchanged plan undid the kill switch")
		}
		ch <- b
		synctest.Wait()
		if e.Disabled() || e.Plan().String() != "db.query=error(b)" {
			t.Fatalf("a changed plan did not apply: disabled %v, plan %q", e.Disabled(), e.Plan())
		}
		if s := r.Status(); s.Applied != 2 || s.Unchanged != 1 {
			t.Errorf("Status() = %+v, want 2 applied and 1 unchanged", s)
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
	want := `level=DEBUG msg="faultline: plan applied from source" source=test version=v1 rules=1
level=WARN msg="faultline: plan source failed, keeping the last good plan" source=test error=boom
`
	if buf.String() != want {
		t.Errorf("log =\n%s\nwant\n%s", buf.String(), want)
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestStatusJSON(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := source.Status{Source: "env", Version: "v1", AppliedAt: at, Err: errors.New("boom"), ErrAt: at, Applied: 2, Failed: 1}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"source":"env","version":"v1","applied_at":"2026-11-25T10:00:00Z","error":"boom","error_at":"2026-11-25T10:00:00Z","applied":2,"unchanged":0,"failed":1,"refused":0}`
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
		<-time.After(time.Minute) // fake time: the bubble's clock moves at once
		synctest.Wait()           // the engine's expiry timer has run
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
