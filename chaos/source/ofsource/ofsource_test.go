package ofsource_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/open-feature/go-sdk/openfeature/memprovider"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	ofsource "github.com/faultline-go/faultline/chaos/source/ofsource"
)

const flag = "faultline-plan"

// flagOf returns an enabled in-memory flag holding value.
func flagOf(value any) memprovider.InMemoryFlag {
	return memprovider.InMemoryFlag{
		Key:            flag,
		State:          memprovider.Enabled,
		DefaultVariant: "on",
		Variants:       map[string]any{"on": value},
	}
}

// setup registers provider on an API of its own, shut down at cleanup,
// and returns a client of it.
func setup(t *testing.T, provider of.FeatureProvider) *of.Client {
	t.Helper()
	api := isolated.NewAPI()
	t.Cleanup(func() { _ = api.Shutdown(context.Background()) })
	if err := api.SetProviderAndWait(t.Context(), provider); err != nil {
		t.Fatal(err)
	}
	return api.NewClient()
}

// rig runs a source over a client, and lets a test wait for what the
// runner did with each read.
type rig struct {
	t       *testing.T
	eng     *chaos.Engine
	r       *source.Runner
	updates chan source.RunnerStatus
	cancel  func()
	done    chan error
}

func newRig(t *testing.T, src source.Source) *rig {
	t.Helper()
	return newRigOn(t, chaos.New(chaos.WithSeed(1)), src)
}

func newRigOn(t *testing.T, e *chaos.Engine, src source.Source) *rig {
	t.Helper()
	g := &rig{t: t, eng: e, updates: make(chan source.RunnerStatus, 64), done: make(chan error, 1)}
	g.r = source.NewRunner(g.eng, src, source.WithOnUpdate(func(s source.RunnerStatus) { g.updates <- s }))
	ctx, cancel := context.WithCancel(t.Context())
	g.cancel = cancel
	go func() { g.done <- g.r.Run(ctx) }()
	t.Cleanup(func() { g.stop() })
	return g
}

func (g *rig) stop() {
	if g.cancel != nil {
		g.cancel()
		g.cancel = nil
		if err := <-g.done; err != nil {
			g.t.Errorf("Run: %v", err)
		}
	}
}

// waitFor waits for the runner to handle a read that passes ok.
func (g *rig) waitFor(what string, ok func(source.RunnerStatus) bool) source.RunnerStatus {
	g.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case s := <-g.updates:
			if ok(s) {
				return s
			}
		case <-timeout:
			g.t.Fatalf("timed out waiting for %s; status %+v, plan %q", what, g.r.Status(), g.eng.Plan())
		}
	}
}

func (g *rig) waitPlan(plan string) {
	g.t.Helper()
	g.waitFor("plan "+plan, func(source.RunnerStatus) bool { return g.eng.Plan().String() == plan })
}

func TestFlagValues(t *testing.T) {
	tests := []struct {
		name  string
		value any
		plan  string
		err   error // what the runner's error matches; nil: none
		label string
	}{
		{name: "object", value: map[string]any{"version": "v4", "rules": []any{map[string]any{"point": "db.query", "fault": "error(timeout)", "rate": 0.5}}}, plan: "db.query=50%error(timeout)", label: "openfeature:faultline-plan@v4"},
		{name: "text string", value: "db.query=3*abort", plan: "db.query=3*abort"},
		{name: "json string", value: `{"rules":[{"point":"db.*","fault":"badconn"}]}`, plan: "db.*=badconn"},
		{name: "empty string", value: "", plan: ""},
		{name: "garbage", value: "db.query=", plan: "x=abort", err: chaos.ErrInvalidPlan},
		{name: "bad object", value: map[string]any{"rules": "none"}, plan: "x=abort", err: chaos.ErrInvalidPlan},
		{name: "number", value: int64(3), plan: "x=abort", err: chaos.ErrInvalidPlan},
		{name: "string too large", value: strings.Repeat(" ", chaos.MaxPlanSize) + "db.query=abort", plan: "x=abort", err: source.ErrTooLarge},
		{name: "object too large", value: map[string]any{"version": strings.Repeat("v", chaos.MaxPlanSize), "rules": []any{}}, plan: "x=abort", err: source.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := setup(t, memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{flag: flagOf(tt.value)}))
			e := chaos.New()
			if err := e.Apply(chaos.MustParsePlan("x=abort")); err != nil {
				t.Fatal(err)
			}
			g := newRigOn(t, e, ofsource.New(client, flag))
			s := g.waitFor("the first read", func(source.RunnerStatus) bool { return true })
			g.stop()
			if got := g.eng.Plan().String(); got != tt.plan {
				t.Errorf("plan = %q, want %q", got, tt.plan)
			}
			if !errors.Is(s.Err, tt.err) || (s.Err == nil) != (tt.err == nil) {
				t.Errorf("error = %v, want one matching %v", s.Err, tt.err)
			}
			if tt.label != "" && g.eng.Active().Source != tt.label {
				t.Errorf("source = %q, want %q", g.eng.Active().Source, tt.label)
			}
		})
	}
}

// The in-memory provider emits a configuration change on each update, and
// the source applies the new plan; a disabled flag switches faults off.
func TestConfigChange(t *testing.T) {
	p := memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=error(a)")})
	client := setup(t, p)
	g := newRig(t, ofsource.New(client, flag))
	g.waitPlan("db.query=error(a)")

	p.UpdateFlags(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=error(b)[ttl=90s]")})
	g.waitPlan("db.query=error(b)[ttl=1m30s]")

	p.UpdateFlags(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=nonsense")})
	s := g.waitFor("a failed read", func(s source.RunnerStatus) bool { return s.Failed > 0 })
	if !errors.Is(s.Err, chaos.ErrInvalidPlan) || g.eng.Plan().String() != "db.query=error(b)[ttl=1m30s]" {
		t.Errorf("bad value: error %v, plan %q; want the last good plan kept", s.Err, g.eng.Plan())
	}

	// A disabled flag resolves to the default: faults off.
	off := flagOf("db.query=error(c)")
	off.State = memprovider.Disabled
	p.UpdateFlags(map[string]memprovider.InMemoryFlag{flag: off})
	g.waitPlan("")

	p.UpdateFlags(map[string]memprovider.InMemoryFlag{})
	s = g.waitFor("flag not found", func(s source.RunnerStatus) bool { return s.Failed > 1 })
	if s.Err == nil || g.eng.Plan().String() != "" {
		t.Errorf("missing flag: error %v, plan %q", s.Err, g.eng.Plan())
	}
}

// eventProvider is an in-memory provider whose events the test sends
// itself.
type eventProvider struct {
	*memprovider.InMemoryProvider
	events chan of.Event
}

func (p *eventProvider) EventChannel() <-chan of.Event { return p.events }

// Events naming other flags do not read the flag; events naming it, or
// naming none, do.
func TestEventFilter(t *testing.T) {
	p := &eventProvider{
		InMemoryProvider: memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=error(a)")}),
		events:           make(chan of.Event, 1),
	}
	client := setup(t, p)
	g := newRig(t, ofsource.New(client, flag))
	g.waitPlan("db.query=error(a)")

	// Flags change without an event: nothing moves yet.
	p.UpdateFlags(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=error(b)")})
	change := func(flags ...string) of.Event {
		return of.Event{ProviderName: "test", EventType: of.ProviderConfigChange, ProviderEventDetails: of.ProviderEventDetails{FlagChanges: flags}}
	}
	p.events <- change("other-flag")
	p.events <- change(flag) // delivered after the first was handled
	g.waitPlan("db.query=error(b)")
	if s := g.r.Status(); s.Applied != 2 {
		t.Errorf("status %+v: the event for another flag caused a read", s)
	}

	p.UpdateFlags(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=error(c)")})
	p.events <- change() // names no flag: any may have changed
	g.waitPlan("db.query=error(c)")
}

// stringOnly is an in-memory provider that, like most real ones, refuses
// to evaluate a string flag as an object.
type stringOnly struct{ *memprovider.InMemoryProvider }

func (p stringOnly) ObjectEvaluation(ctx context.Context, f string, def any, fc of.FlattenedContext) of.InterfaceResolutionDetail {
	if s := p.StringEvaluation(ctx, f, "", fc); s.Error() == nil {
		return of.InterfaceResolutionDetail{Value: def, ProviderResolutionDetail: of.ProviderResolutionDetail{
			ResolutionError: of.NewTypeMismatchResolutionError("flag is a string"),
			Reason:          of.ErrorReason,
		}}
	}
	return p.InMemoryProvider.ObjectEvaluation(ctx, f, def, fc)
}

func TestStringFlagFallback(t *testing.T) {
	p := stringOnly{memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=25%delay(10ms)")})}
	g := newRig(t, ofsource.New(setup(t, p), flag))
	g.waitPlan("db.query=25%delay(10ms)")
}

// noEvents is a provider that emits no events.
type noEvents struct{ p *memprovider.InMemoryProvider }

func (n noEvents) Metadata() of.Metadata { return n.p.Metadata() }
func (n noEvents) Hooks() []of.Hook      { return nil }
func (n noEvents) BooleanEvaluation(ctx context.Context, f string, d bool, fc of.FlattenedContext) of.BoolResolutionDetail {
	return n.p.BooleanEvaluation(ctx, f, d, fc)
}
func (n noEvents) StringEvaluation(ctx context.Context, f string, d string, fc of.FlattenedContext) of.StringResolutionDetail {
	return n.p.StringEvaluation(ctx, f, d, fc)
}
func (n noEvents) FloatEvaluation(ctx context.Context, f string, d float64, fc of.FlattenedContext) of.FloatResolutionDetail {
	return n.p.FloatEvaluation(ctx, f, d, fc)
}
func (n noEvents) IntEvaluation(ctx context.Context, f string, d int64, fc of.FlattenedContext) of.IntResolutionDetail {
	return n.p.IntEvaluation(ctx, f, d, fc)
}
func (n noEvents) ObjectEvaluation(ctx context.Context, f string, d any, fc of.FlattenedContext) of.InterfaceResolutionDetail {
	return n.p.ObjectEvaluation(ctx, f, d, fc)
}

// Without events, WithPollInterval reads the flag on a clock.
func TestPollInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=error(a)")})
		client := setup(t, noEvents{mem})
		e := chaos.New()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			done <- source.NewRunner(e, ofsource.New(client, flag, ofsource.WithPollInterval(time.Minute))).Run(ctx)
		}()
		synctest.Wait()
		if got := e.Plan().String(); got != "db.query=error(a)" {
			t.Fatalf("plan = %q", got)
		}
		mem.UpdateFlags(map[string]memprovider.InMemoryFlag{flag: flagOf("db.query=error(b)")})
		<-time.After(59 * time.Second) // fake time: the bubble's clock moves at once
		synctest.Wait()
		if got := e.Plan().String(); got != "db.query=error(a)" {
			t.Fatalf("plan = %q before the interval", got)
		}
		<-time.After(time.Second)
		synctest.Wait()
		if got := e.Plan().String(); got != "db.query=error(b)" {
			t.Fatalf("plan = %q after the interval", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// The evaluation context reaches the provider, so targeting can hand
// instances different plans.
func TestEvaluationContext(t *testing.T) {
	byInstance := func(f memprovider.InMemoryFlag, fc of.FlattenedContext) (any, of.ProviderResolutionDetail) {
		if fc[of.TargetingKey] == "canary-1" {
			return "db.query=abort", of.ProviderResolutionDetail{Variant: "canary", Reason: of.TargetingMatchReason}
		}
		return nil, of.ProviderResolutionDetail{Variant: "off", Reason: of.DefaultReason}
	}
	fl := flagOf(nil)
	fl.ContextEvaluator = &byInstance
	client := setup(t, memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{flag: fl}))
	canary := newRig(t, ofsource.New(client, flag, ofsource.WithEvaluationContext(of.NewEvaluationContext("canary-1", nil))))
	canary.waitPlan("db.query=abort")
	other := newRig(t, ofsource.New(client, flag, ofsource.WithEvaluationContext(of.NewEvaluationContext("web-7", nil))))
	other.waitFor("a read", func(source.RunnerStatus) bool { return true })
	if got := other.eng.Plan().String(); got != "" {
		t.Errorf("non-canary plan = %q", got)
	}
}

func TestWatchErrors(t *testing.T) {
	client := setup(t, memprovider.NewInMemoryProvider(nil))
	err := ofsource.New(client, "").Watch(t.Context(), func(source.Update) {})
	if !errors.Is(err, ofsource.ErrNoFlag) {
		t.Errorf("Watch with no flag = %v, want ErrNoFlag", err)
	}
}

func TestName(t *testing.T) {
	api := isolated.NewAPI()
	defer func() { _ = api.Shutdown(context.Background()) }()
	if got := ofsource.New(api.NewClient(), flag).Name(); got != "openfeature:"+flag {
		t.Errorf("Name() = %q", got)
	}
	if got := ofsource.New(api.NewClient(of.WithDomain("checkout")), flag).Name(); got != "openfeature:checkout/"+flag {
		t.Errorf("Name() = %q", got)
	}
}

// nullObject is a provider whose object flag resolves to null without an
// error, as some do for a JSON null.
type nullObject struct{ *memprovider.InMemoryProvider }

func (nullObject) ObjectEvaluation(context.Context, string, any, of.FlattenedContext) of.InterfaceResolutionDetail {
	return of.InterfaceResolutionDetail{ProviderResolutionDetail: of.ProviderResolutionDetail{Reason: of.StaticReason}}
}

func TestNullFlag(t *testing.T) {
	e := chaos.New()
	if err := e.Apply(chaos.MustParsePlan("x=abort")); err != nil {
		t.Fatal(err)
	}
	g := newRigOn(t, e, ofsource.New(setup(t, nullObject{memprovider.NewInMemoryProvider(nil)}), flag))
	g.waitPlan("")
	if got := e.Active().Source; got != "openfeature:"+flag+"@null" {
		t.Errorf("source = %q", got)
	}
}
