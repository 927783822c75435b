// Package chaosotel reports faultline's injected faults to OpenTelemetry:
// each fault that fires adds an event to the span of the call it hit, and
// counts in a metric.
//
// One call wires an engine in (a nil engine means [chaos.Default]):
//
//	stop, err := chaosotel.Instrument(engine)
//	if err != nil { … }
//	defer stop()
//
// From then on, every fault the engine's points fire adds a span event named
// faultline.injection ([EventName]) to the span in the call's context, with
// the point, the fault's kind and text form, the rule, the call's sequence
// number, the dry-run flag, the engine's seed, and the call's labels (see
// the attribute keys below). Because the event goes on the span of the
// call's context, the spans that instrumentation such as otelhttp starts
// around a handler or a request show the faults injected inside them with
// no extra code. A call with no recording span adds no event. The event is
// added when the point decides, before the fault is carried out, so it marks
// when the fault begins: on the span, an injected latency follows it.
//
// Faults that the policy's dry-run mode decides but does not inject are
// reported too, with faultline.dry_run set to true.
//
// Two metrics count what the engine does:
//
//   - faultline.injections ([InjectionsMetric]), a counter of the faults that
//     fired, with the attributes faultline.point, faultline.fault.kind and
//     faultline.dry_run. It is recorded with the call's context, so an SDK
//     that keeps exemplars links it to the trace.
//   - faultline.evaluations ([EvaluationsMetric]), an asynchronous counter of
//     the calls evaluated at each point while a rule named it, with the
//     attribute faultline.point. It reads [chaos.Engine.Stats] when the
//     metrics are collected, so it adds nothing to the call path.
//
// Two more asynchronous counters say what became of the injected errors,
// as the resilience package reports it (see [chaos.PointStats] and
// [faults.Absorbed]), with the attribute faultline.point:
//
//   - faultline.injections.absorbed ([AbsorbedMetric]): injected errors that
//     resilience code absorbed, because a retry or a fallback succeeded
//     after them.
//   - faultline.injections.escaped ([EscapedMetric]): injected errors that
//     reached the caller of resilience code anyway.
//
// Both are read from the same [chaos.Engine.Stats] as faultline.evaluations,
// and report a point only once one of them is above 0, so points that no
// resilience code covers add no series. Divided by faultline.injections,
// absorbed is a coverage figure for the resilience code around a point.
//
// One gauge shows the rules that test nothing:
//
//   - faultline.rules.unused ([UnusedRulesMetric]), an asynchronous gauge
//     with one data point, of value 1, for each rule of the active plan
//     that has named no evaluated point for longer than the engine's
//     [chaos.WithUnusedRuleAfter] (a minute by default), as
//     [chaos.RuleStats].Unused marks it: most often a typo in a point
//     name. Its attributes are faultline.rule, the rule's index in the
//     plan, and faultline.rule.point, its point pattern. Its sum is the
//     number of unused rules; it reports nothing while every rule is used,
//     and a rule drops out as soon as one of its points is evaluated or
//     the plan is replaced. Alert on it being above 0. It is read from the
//     same [chaos.Engine.Stats] as faultline.evaluations.
//
// Two gauges show the engine's safety state:
//
//   - faultline.kill_switch ([KillSwitchMetric]): 1 while the kill switch
//     is thrown, with its reason (cut at chaos.MaxLabelValue bytes) in
//     faultline.kill_switch.reason, as a guard (package guard) or an
//     operator gave it; 0 otherwise.
//   - faultline.rate_scale ([RateScaleMetric]): the scale pacing set on
//     every rule's rate ([chaos.Engine.RateScale]), 1 when none is.
//
// Points are named from bounded sets (route patterns, not paths), and a
// plan holds at most [chaos.MaxPlanRules] rules, so the metrics'
// cardinality is bounded too. Labels, which may be per request, go on
// span events only, never on metrics.
//
// This package is separate from package chaos so that the engine itself
// pulls in no OpenTelemetry module.
package chaosotel

import (
	"fmt"
	"strconv"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/faultline-go/faultline/chaos"
)

// ScopeName is the instrumentation scope of the meter this package uses.
const ScopeName = "github.com/faultline-go/faultline/chaos/chaosotel"

// Names of the span event and of the metrics.
const (
	// EventName names the span event of a fault that fired.
	EventName = "faultline.injection"
	// InjectionsMetric names the counter of faults that fired.
	InjectionsMetric = "faultline.injections"
	// EvaluationsMetric names the asynchronous counter of calls evaluated
	// at armed points.
	EvaluationsMetric = "faultline.evaluations"
	// UnusedRulesMetric names the asynchronous gauge of the rules that
	// named no evaluated point: 1 for each such rule.
	UnusedRulesMetric = "faultline.rules.unused"
	// AbsorbedMetric names the asynchronous counter of injected errors
	// that resilience code absorbed, per point.
	AbsorbedMetric = "faultline.injections.absorbed"
	// EscapedMetric names the asynchronous counter of injected errors that
	// reached the caller of resilience code, per point.
	EscapedMetric = "faultline.injections.escaped"
	// KillSwitchMetric names the asynchronous gauge that is 1 while the
	// engine's kill switch is thrown, with the reason, and 0 otherwise.
	KillSwitchMetric = "faultline.kill_switch"
	// RateScaleMetric names the asynchronous gauge of the scale pacing set
	// on every rule's rate (chaos.Engine.RateScale), 1 when none is.
	RateScaleMetric = "faultline.rate_scale"
	// DirectivesMetric names the asynchronous counter of the directives
	// requests brought (chaos.Engine.AcceptDirective), by result:
	// "accepted", or the reason it was refused.
	DirectivesMetric = "faultline.directives"
)

// Attribute keys of the span event and the metrics.
const (
	// PointKey is the name of the point that fired (event and metrics).
	PointKey = attribute.Key("faultline.point")
	// KindKey is the fault's kind, as "latency" or "error" (event and
	// faultline.injections).
	KindKey = attribute.Key("faultline.fault.kind")
	// FaultKey is the fault in the plan text form, as "delay(200ms)"
	// (event).
	FaultKey = attribute.Key("faultline.fault.spec")
	// DelayKey is the wait of a latency fault, jitter included, in seconds
	// (event; latency faults only).
	DelayKey = attribute.Key("faultline.fault.delay")
	// RuleKey is the index in the plan of the rule that fired (event), or
	// of the unused rule (faultline.rules.unused).
	RuleKey = attribute.Key("faultline.rule")
	// RulePointKey is the point pattern of the unused rule, as "sql.*"
	// (faultline.rules.unused).
	RulePointKey = attribute.Key("faultline.rule.point")
	// ReasonKey is the reason the kill switch was thrown, cut at
	// chaos.MaxLabelValue bytes (faultline.kill_switch).
	ReasonKey = attribute.Key("faultline.kill_switch.reason")
	// SeqKey is the call's sequence number at the point since the plan was
	// applied, counting from 1 (event).
	SeqKey = attribute.Key("faultline.seq")
	// DryRunKey is true when the policy's dry-run mode kept the fault from
	// being injected (event and faultline.injections).
	DryRunKey = attribute.Key("faultline.dry_run")
	// SeedKey is the engine's seed in decimal, which replays the run
	// (event).
	SeedKey = attribute.Key("faultline.seed")
	// InstanceKey is the engine's instance id, when it has one (event).
	InstanceKey = attribute.Key("faultline.instance")
	// DirectiveKey is the id of the directive whose rule fired, so that
	// one request's faults can be found across services (event, only for
	// a directive's rules).
	DirectiveKey = attribute.Key("faultline.directive")
	// ResultKey is what became of a directive: "accepted" or the reason
	// it was refused, as chaos.RefusedSignature ("bad_signature")
	// (faultline.directives).
	ResultKey = attribute.Key("faultline.directive.result")
	// LabelKeyPrefix starts the key of each label the call carried, as
	// faultline.label.tenant (event).
	LabelKeyPrefix = "faultline.label."
)

// Option configures [Instrument].
type Option interface{ apply(*config) }

type config struct {
	meters metric.MeterProvider
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithMeterProvider sets the provider of the meter that records the
// metrics. Without it, or with nil, [Instrument] uses the global provider
// (otel.GetMeterProvider), which forwards to whatever provider is set
// globally, even later.
//
// There is no tracer provider option: the events go on the span already in
// each call's context, whichever provider started it.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meters = mp })
}

// instruments gives the kind, description and unit of each metric that
// [Instrument] makes, by name.
var instruments = map[string]struct{ kind, desc, unit string }{
	InjectionsMetric:  {"counter", "Faults that faultline injected (or, in dry-run mode, would have).", "{fault}"},
	EvaluationsMetric: {"counter", "Calls that faultline evaluated at points a rule named.", "{call}"},
	UnusedRulesMetric: {"gauge", "Rules of the active plan that named no evaluated point for longer than the engine allows: 1 for each.", "{rule}"},
	AbsorbedMetric:    {"counter", "Injected errors that resilience code absorbed: a retry or a fallback succeeded after them.", "{fault}"},
	EscapedMetric:     {"counter", "Injected errors that reached the caller of resilience code.", "{fault}"},
	KillSwitchMetric:  {"gauge", "1 while the kill switch is thrown, with its reason; 0 otherwise.", "1"},
	RateScaleMetric:   {"gauge", "The scale pacing set on every rule's rate; 1 when none is.", "1"},
	DirectivesMetric:  {"counter", "Directives that requests brought, by result: accepted, or the reason they were refused.", "{directive}"},
}

// newInstrument makes the instrument of the metric name with mk, as
// instruments describes it, unless *err already holds an error. An error
// from mk goes into *err, wrapped.
func newInstrument[I, O any](err *error, mk func(string, ...O) (I, error), name string) I {
	var inst I
	if *err != nil {
		return inst
	}
	m := instruments[name]
	// metric.InstrumentOption is an option of every kind of instrument.
	inst, e := mk(name, any(metric.WithDescription(m.desc)).(O), any(metric.WithUnit(m.unit)).(O))
	if e != nil {
		*err = fmt.Errorf("chaosotel: making the %s %s: %w", name, m.kind, e)
	}
	return inst
}

// Instrument reports the faults e injects to OpenTelemetry, as the package
// documentation describes, until stop is called. stop removes the observer
// from e and unregisters the callback of the asynchronous metrics; it is safe to call more than
// once and from any goroutine. An error from unregistering goes to
// otel.Handle, the OpenTelemetry error handler.
//
// A nil e means [chaos.Default] at the time Instrument is called.
// Instrument fails with the meter's error, wrapped, if an instrument
// cannot be made. It is safe for
// concurrent use, but each call adds one more observer, whose events and
// counts add to the others': instrument an engine once.
func Instrument(e *chaos.Engine, opts ...Option) (stop func(), err error) {
	if e == nil {
		e = chaos.Default()
	}
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	if c.meters == nil {
		c.meters = otel.GetMeterProvider()
	}
	meter := c.meters.Meter(ScopeName)
	injections := newInstrument(&err, meter.Int64Counter, InjectionsMetric)
	evaluations := newInstrument(&err, meter.Int64ObservableCounter, EvaluationsMetric)
	unused := newInstrument(&err, meter.Int64ObservableGauge, UnusedRulesMetric)
	absorbed := newInstrument(&err, meter.Int64ObservableCounter, AbsorbedMetric)
	escaped := newInstrument(&err, meter.Int64ObservableCounter, EscapedMetric)
	killSwitch := newInstrument(&err, meter.Int64ObservableGauge, KillSwitchMetric)
	rateScale := newInstrument(&err, meter.Float64ObservableGauge, RateScaleMetric)
	directives := newInstrument(&err, meter.Int64ObservableCounter, DirectivesMetric)
	if err != nil {
		return nil, err
	}
	stats := statsInstruments{evaluations: evaluations, unused: unused, absorbed: absorbed, escaped: escaped,
		killSwitch: killSwitch, rateScale: rateScale, directives: directives}
	reg, err := meter.RegisterCallback(observeStats(e, stats), evaluations, unused, absorbed, escaped, killSwitch, rateScale, directives)
	if err != nil {
		return nil, fmt.Errorf("chaosotel: registering the callback of the asynchronous metrics: %w", err)
	}
	o := newObserver(e, injections)
	remove := e.AddObserver(o)
	var once sync.Once
	return func() {
		once.Do(func() {
			remove()
			if err := reg.Unregister(); err != nil {
				otel.Handle(fmt.Errorf("chaosotel: unregistering the callback of the asynchronous metrics: %w", err))
			}
		})
	}, nil
}

// engineAttributes are the attributes every event of e carries.
func engineAttributes(e *chaos.Engine) []attribute.KeyValue {
	attrs := []attribute.KeyValue{SeedKey.String(strconv.FormatUint(e.Seed(), 10))}
	if id := e.Instance(); id != "" {
		attrs = append(attrs, InstanceKey.String(id))
	}
	return attrs
}
