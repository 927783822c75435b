package chaosfx_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosfx"
)

// start builds and starts an app of the module, with opts, and stops it
// at cleanup.
func start(t *testing.T, opts ...fx.Option) *fxtest.App {
	t.Helper()
	app := fxtest.New(t, append([]fx.Option{chaosfx.Module}, opts...)...)
	app.RequireStart()
	t.Cleanup(func() { app.RequireStop() })
	return app
}

func TestEngineFromConfig(t *testing.T) {
	tests := []struct {
		name     string
		opts     []fx.Option // how the app supplies its config, if it does
		seed     uint64      // 0: any
		instance string      // "": any
		refused  string      // a plan the policy must refuse; "" for none
	}{
		{name: "no config", opts: nil},
		{name: "zero config", opts: []fx.Option{fx.Supply(chaosfx.Config{})}},
		{
			name:     "seed and instance",
			opts:     []fx.Option{fx.Supply(chaosfx.Config{Seed: 42, Instance: "checkout-7"})},
			seed:     42,
			instance: "checkout-7",
		},
		{
			name: "engine options override fields",
			opts: []fx.Option{fx.Supply(chaosfx.Config{
				Seed:          42,
				Instance:      "a",
				EngineOptions: []chaos.Option{chaos.WithSeed(7), chaos.WithInstance("b")},
			})},
			seed:     7,
			instance: "b",
		},
		{
			name: "config from a constructor",
			opts: []fx.Option{fx.Provide(func() chaosfx.Config {
				return chaosfx.Config{Seed: 9, Policy: chaos.ProductionPolicy()}
			})},
			seed:    9,
			refused: "checkout=50%error(x)",
		},
		{
			name:    "policy",
			opts:    []fx.Option{fx.Supply(chaosfx.Config{Seed: 3, Policy: chaos.Policy{MaxRate: 0.1}})},
			seed:    3,
			refused: "checkout=20%delay(1ms)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *chaos.Engine
			start(t, append(tt.opts, fx.Populate(&e))...)
			if e == nil {
				t.Fatal("no engine provided")
			}
			if tt.seed != 0 && e.Seed() != tt.seed {
				t.Errorf("Seed() = %d, want %d", e.Seed(), tt.seed)
			}
			if tt.instance != "" && e.Instance() != tt.instance {
				t.Errorf("Instance() = %q, want %q", e.Instance(), tt.instance)
			}
			if len(e.Plan().Rules) != 0 {
				t.Errorf("a fresh engine has plan %q", e.Plan())
			}
			if tt.refused != "" {
				if err := e.Apply(plan(t, tt.refused)); !errors.Is(err, chaos.ErrRefused) {
					t.Errorf("Apply(%q) = %v, want an error matching ErrRefused", tt.refused, err)
				}
			}
		})
	}
}

func TestRandomSeedIsLogged(t *testing.T) {
	log, buf := newLogger()
	var e *chaos.Engine
	start(t, fx.Supply(chaosfx.Config{Logger: log}), fx.Populate(&e))
	want := "seed=" + strconv.FormatUint(e.Seed(), 10)
	if !strings.Contains(buf.String(), "faultline: engine started") || !strings.Contains(buf.String(), want) {
		t.Errorf("log does not record the seed (%s):\n%s", want, buf)
	}
}

func TestEnvSourceAppliesAtStart(t *testing.T) {
	t.Setenv(source.EnvVar, "payments.charge=error(declined)")
	onUpdate, wait := updates(t)
	var e *chaos.Engine
	start(t,
		fx.Supply(chaosfx.Config{
			Seed:          1,
			Sources:       []source.Source{source.Env()},
			RunnerOptions: []source.RunnerOption{onUpdate},
		}),
		fx.Populate(&e),
	)
	wait(func(s source.RunnerStatus) bool { return s.Applied == 1 })

	if got := e.Active().Source; !strings.HasPrefix(got, "env@") {
		t.Errorf("Active().Source = %q, want env@…", got)
	}
	err := e.Point("payments.charge").Inject(t.Context())
	if !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Inject = %v, want an injected error", err)
	}
}

// A long-running source runs while the app runs, applies each plan it
// yields, and returns when the app stops; goleak (TestMain) checks that
// nothing is left.
func TestSourceRunsWithLifecycle(t *testing.T) {
	src := newMemSource("mem")
	onUpdate, wait := updates(t)
	var (
		e   *chaos.Engine
		got *chaosfx.Sources
	)
	app := fxtest.New(t,
		chaosfx.Module,
		fx.Supply(chaosfx.Config{Seed: 1, Sources: []source.Source{src}, RunnerOptions: []source.RunnerOption{onUpdate}}),
		fx.Populate(&e, &got),
	)
	app.RequireStart()

	src.push <- source.Update{Plan: plan(t, "a=delay(1ms)"), Version: "v1"}
	wait(func(s source.RunnerStatus) bool { return s.Applied == 1 })
	src.push <- source.Update{Plan: plan(t, "a=error(x)"), Version: "v2"}
	wait(func(s source.RunnerStatus) bool { return s.Applied == 2 })
	if e.Plan().String() != "a=error(x)" || e.Active().Source != "mem@v2" {
		t.Errorf("active plan %q from %q, want a=error(x) from mem@v2", e.Plan(), e.Active().Source)
	}

	app.RequireStop()
	select {
	case <-src.stopped:
	default:
		t.Fatal("the source still runs after the app stopped")
	}
	if st := got.Status(); len(st) != 1 || st[0].Applied != 2 || st[0].Version != "v2" || st[0].Err != nil {
		t.Errorf("Status() = %+v", st)
	}
	if e.Plan().String() != "a=error(x)" {
		t.Errorf("after stop the plan is %q; the last one should stay", e.Plan())
	}
}

// A source's bad updates and refused plans are logged and counted; the last
// good plan stays, and the app carries on.
func TestBadUpdatesKeepLastGoodPlan(t *testing.T) {
	src := newMemSource("mem")
	log, buf := newLogger()
	onUpdate, wait := updates(t)
	var (
		e   *chaos.Engine
		got *chaosfx.Sources
	)
	start(t,
		fx.Supply(chaosfx.Config{
			Seed:          1,
			Policy:        chaos.Policy{MaxRate: 0.1},
			Sources:       []source.Source{src},
			Logger:        log,
			RunnerOptions: []source.RunnerOption{onUpdate},
		}),
		fx.Populate(&e, &got),
	)

	steps := []struct {
		name   string
		update source.Update
		until  func(source.RunnerStatus) bool
	}{
		{"good", source.Update{Plan: plan(t, "a=10%error(x)")}, func(s source.RunnerStatus) bool { return s.Applied == 1 }},
		{"refused", source.Update{Plan: plan(t, "a=50%error(x)")}, func(s source.RunnerStatus) bool { return s.Refused == 1 }},
		{"failed", source.Update{Err: errors.New("document unreadable")}, func(s source.RunnerStatus) bool { return s.Failed == 1 }},
	}
	for _, st := range steps {
		src.push <- st.update
		wait(st.until)
		if e.Plan().String() != "a=10%error(x)" {
			t.Fatalf("after the %s update the plan is %q, want the last good one", st.name, e.Plan())
		}
	}
	st := got.Status()[0]
	if st.Applied != 1 || st.Refused != 1 || st.Failed != 1 {
		t.Errorf("Status() = %+v, want 1 applied, 1 refused, 1 failed", st)
	}
	for _, want := range []string{"plan refused", "document unreadable", "rules[0].rate"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf)
		}
	}
}

// A source that gives up does not stop the app: it is logged and shows in
// Status, and the other sources go on.
func TestSourceThatGivesUp(t *testing.T) {
	boom := errors.New("malformed address")
	good := newMemSource("good")
	log, buf := newLogger()
	onUpdate, wait := updates(t)
	var (
		e   *chaos.Engine
		got *chaosfx.Sources
	)
	app := fxtest.New(t,
		chaosfx.Module,
		fx.Supply(chaosfx.Config{
			Seed:          1,
			Sources:       []source.Source{failingSource{boom}, good},
			Logger:        log,
			RunnerOptions: []source.RunnerOption{onUpdate},
		}),
		fx.Populate(&e, &got),
	)
	app.RequireStart()
	good.push <- source.Update{Plan: plan(t, "a=error(x)")}
	wait(func(s source.RunnerStatus) bool { return s.Source == "good" && s.Applied == 1 })
	app.RequireStop() // waits for both runners, so the failure is recorded

	st := got.Status()
	if len(st) != 2 {
		t.Fatalf("Status() has %d entries, want 2", len(st))
	}
	if !errors.Is(st[0].Err, boom) || st[0].ErrAt.IsZero() {
		t.Errorf("Status()[0].Err = %v at %v, want %v", st[0].Err, st[0].ErrAt, boom)
	}
	if st[1].Err != nil || st[1].Applied != 1 {
		t.Errorf("Status()[1] = %+v", st[1])
	}
	if !strings.Contains(buf.String(), "level=ERROR") || !strings.Contains(buf.String(), "malformed address") {
		t.Errorf("the failure is not logged as an error:\n%s", buf)
	}
}

func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  chaosfx.Config
		want []string
	}{
		{
			name: "nil source",
			cfg:  chaosfx.Config{Sources: []source.Source{source.Env(), nil}},
			want: []string{"sources[1]: nil source"},
		},
		{
			name: "invalid policy",
			cfg:  chaosfx.Config{Policy: chaos.Policy{MaxRate: 2, MaxRules: -1}},
			want: []string{"policy.max_rate", "policy.max_rules"},
		},
		{
			name: "both",
			cfg:  chaosfx.Config{Sources: []source.Source{nil}, Policy: chaos.Policy{MaxLatency: -1}},
			want: []string{"sources[0]: nil source", "policy.max_latency"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fx.New(fx.NopLogger, chaosfx.Module, fx.Supply(tt.cfg)).Err()
			if !errors.Is(err, chaosfx.ErrInvalidConfig) {
				t.Fatalf("fx.New error = %v, want one matching ErrInvalidConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// A valid policy that refuses the kinds or points of the config check's
// own probe is still valid.
func TestRestrictivePolicyIsValid(t *testing.T) {
	p := chaos.Policy{Kinds: []faults.Kind{faults.KindLatency}, Points: []string{"sql.*"}, MaxRules: 1}
	if err := fx.New(fx.NopLogger, chaosfx.Module, fx.Supply(chaosfx.Config{Policy: p})).Err(); err != nil {
		t.Fatalf("fx.New: %v", err)
	}
}

func TestLoggerChoice(t *testing.T) {
	tests := []struct {
		name             string
		graph, config    bool
		wantGraph, wantC bool
	}{
		{name: "none"},
		{name: "application's", graph: true, wantGraph: true},
		{name: "config's", config: true, wantC: true},
		{name: "config's wins", graph: true, config: true, wantC: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			graphLog, graphBuf := newLogger()
			cfgLog, cfgBuf := newLogger()
			cfg := chaosfx.Config{Seed: 1}
			opts := []fx.Option{}
			if tt.graph {
				opts = append(opts, fx.Supply(graphLog))
			}
			if tt.config {
				cfg.Logger = cfgLog
			}
			var e *chaos.Engine
			start(t, append(opts, fx.Supply(cfg), fx.Populate(&e))...)
			if err := e.Apply(plan(t, "a=error(x)")); err != nil {
				t.Fatal(err)
			}
			check := func(which string, buf *logBuffer, want bool) {
				t.Helper()
				got := strings.Contains(buf.String(), "faultline: engine started") &&
					strings.Contains(buf.String(), "faultline: plan applied")
				if got != want {
					t.Errorf("%s logger used: %v, want %v:\n%s", which, got, want, buf)
				}
			}
			check("application's", graphBuf, tt.wantGraph)
			check("config's", cfgBuf, tt.wantC)
		})
	}
}

// The sources start even when nothing in the app asks for the engine.
func TestSourcesStartWithoutConsumers(t *testing.T) {
	t.Setenv(source.EnvVar, "a=error(x)")
	onUpdate, wait := updates(t)
	start(t, fx.Supply(chaosfx.Config{Sources: []source.Source{source.Env()}, RunnerOptions: []source.RunnerOption{onUpdate}}))
	wait(func(s source.RunnerStatus) bool { return s.Applied == 1 })
}

// The module stays silent with no logger anywhere: the default slog
// logger receives nothing.
func TestSilentByDefault(t *testing.T) {
	log, buf := newLogger()
	prev := slog.Default()
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(prev) })

	var e *chaos.Engine
	start(t, fx.Populate(&e))
	if err := e.Apply(plan(t, "a=error(x)")); err != nil {
		t.Fatal(err)
	}
	_ = e.Point("a").Inject(context.Background())
	if strings.Contains(buf.String(), "faultline") {
		t.Errorf("the module logged without a logger:\n%s", buf)
	}
}
