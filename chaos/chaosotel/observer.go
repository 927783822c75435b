package chaosotel

import (
	"context"
	"maps"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// observer turns the engine's events into span events and counts.
type observer struct {
	injections metric.Int64Counter
	engine     []attribute.KeyValue // attributes of every event

	// sets caches the measurement options of each point, kind and dry-run
	// flag: copy on write, so a lookup is an atomic load and a map read. The
	// options are kept as a slice so that Add allocates none per call.
	sets atomic.Pointer[map[setKey][]metric.AddOption]
	mu   sync.Mutex // serializes writers of sets
}

type setKey struct {
	point  string
	kind   faults.Kind
	dryRun bool
}

func newObserver(e *chaos.Engine, injections metric.Int64Counter) *observer {
	o := &observer{injections: injections, engine: engineAttributes(e)}
	o.sets.Store(&map[setKey][]metric.AddOption{})
	return o
}

var _ chaos.InlineObserver = (*observer)(nil)

// NeverBlocks marks the observer as inline: it only records into the
// meter and the span, so the engine calls it on the call's goroutine.
func (o *observer) NeverBlocks() {}

// Observe counts the fault and, if the call's span is recording, adds the
// event to it.
func (o *observer) Observe(ctx context.Context, ev chaos.Event) {
	o.injections.Add(ctx, 1, o.measurement(setKey{ev.Point, ev.Fault.Kind, ev.DryRun})...)
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 8+len(o.engine)+len(ev.Labels))
	attrs = append(attrs,
		PointKey.String(ev.Point),
		KindKey.String(ev.Fault.Kind.String()),
		FaultKey.String(ev.Fault.String()),
		RuleKey.Int(ev.Rule),
		SeqKey.Int64(int64(min(ev.Seq, math.MaxInt64))),
		DryRunKey.Bool(ev.DryRun),
	)
	if ev.Fault.Kind == faults.KindLatency {
		attrs = append(attrs, DelayKey.Float64(ev.Delay.Seconds()))
	}
	if ev.Directive != "" {
		attrs = append(attrs, DirectiveKey.String(ev.Directive))
	}
	attrs = append(attrs, o.engine...)
	attrs = appendLabels(attrs, ev.Labels)
	span.AddEvent(EventName, trace.WithTimestamp(ev.Time), trace.WithAttributes(attrs...))
}

// measurement returns the options that carry k's attributes, making them
// on first use. Points are bounded, so the cache is too.
func (o *observer) measurement(k setKey) []metric.AddOption {
	if m, ok := (*o.sets.Load())[k]; ok {
		return m
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	old := *o.sets.Load()
	if m, ok := old[k]; ok {
		return m
	}
	m := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
		PointKey.String(k.point),
		KindKey.String(k.kind.String()),
		DryRunKey.Bool(k.dryRun),
	))}
	sets := maps.Clone(old)
	sets[k] = m
	o.sets.Store(&sets)
	return m
}

// appendLabels appends the labels as attributes. A later label hides an
// earlier one with the same key, as it does for rules.
func appendLabels(attrs []attribute.KeyValue, labels []chaos.Label) []attribute.KeyValue {
	for i, l := range labels {
		hidden := false
		for _, later := range labels[i+1:] {
			if later.Key == l.Key {
				hidden = true
				break
			}
		}
		if !hidden {
			attrs = append(attrs, attribute.String(LabelKeyPrefix+l.Key, l.Value))
		}
	}
	return attrs
}

// statsInstruments are the asynchronous instruments read from the stats.
type statsInstruments struct {
	evaluations, absorbed, escaped metric.Int64ObservableCounter
	directives                     metric.Int64ObservableCounter
	unused, killSwitch             metric.Int64ObservableGauge
	rateScale                      metric.Float64ObservableGauge
}

// observeStats returns the callback that reports, from one read of e's
// stats, the evaluations of every point, what became of the injected
// errors of the points resilience code reported on, and the rules that
// are unused.
func observeStats(e *chaos.Engine, in statsInstruments) metric.Callback {
	return func(_ context.Context, obs metric.Observer) error {
		s := e.Stats()
		for _, ps := range s.Points {
			point := metric.WithAttributes(PointKey.String(ps.Point))
			obs.ObserveInt64(in.evaluations, int64(min(ps.Evaluations, math.MaxInt64)), point)
			if ps.Absorbed > 0 || ps.Escaped > 0 {
				obs.ObserveInt64(in.absorbed, int64(min(ps.Absorbed, math.MaxInt64)), point)
				obs.ObserveInt64(in.escaped, int64(min(ps.Escaped, math.MaxInt64)), point)
			}
		}
		for _, r := range s.Rules {
			if r.Unused {
				obs.ObserveInt64(in.unused, 1, metric.WithAttributes(RuleKey.Int(r.Rule), RulePointKey.String(r.Point)))
			}
		}
		if a := e.Active(); a.Disabled {
			obs.ObserveInt64(in.killSwitch, 1, metric.WithAttributes(ReasonKey.String(cutReason(a.DisabledReason))))
		} else {
			obs.ObserveInt64(in.killSwitch, 0)
		}
		obs.ObserveFloat64(in.rateScale, e.RateScale())
		if d := s.Directives; d.Accepted > 0 || len(d.Refused) > 0 {
			obs.ObserveInt64(in.directives, int64(min(d.Accepted, math.MaxInt64)), metric.WithAttributes(ResultKey.String("accepted")))
			for reason, n := range d.Refused {
				obs.ObserveInt64(in.directives, int64(min(n, math.MaxInt64)), metric.WithAttributes(ResultKey.String(reason)))
			}
		}
		return nil
	}
}

// cutReason bounds a kill switch's reason for a metric attribute.
func cutReason(r string) string {
	if len(r) <= chaos.MaxLabelValue {
		return r
	}
	return strings.Clone(r[:chaos.MaxLabelValue])
}
