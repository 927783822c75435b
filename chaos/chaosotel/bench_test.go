package chaosotel_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/faultline-go/faultline/chaos"
)

// armedEngine returns an engine whose point db.query fires an error on
// every call.
func armedEngine(t testing.TB) *chaos.Engine {
	t.Helper()
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
		t.Fatal(err)
	}
	return e
}

// BenchmarkInjection measures a point that fires on every call: bare, then
// instrumented without a span, then inside a recording span (which keeps
// at most 128 events, so later ones are counted and dropped by the SDK).
// Only firing calls reach the observer; calls that do not fire cost the
// same instrumented or not.
func BenchmarkInjection(b *testing.B) {
	for _, bc := range []struct {
		name             string
		instrument, span bool
	}{
		{name: "bare"},
		{name: "no-span", instrument: true},
		{name: "span", instrument: true, span: true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := armedEngine(b)
			if bc.instrument {
				mp, _ := metrics(b)
				instrument(b, e, mp)
			}
			ctx := context.Background()
			if bc.span {
				tp, _ := tracing(b)
				var span trace.Span
				ctx, span = tp.Tracer("bench").Start(ctx, "request")
				defer span.End()
			}
			p := e.Point("db.query")
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Decide(ctx)
			}
		})
	}
}

// TestNoSpanAllocs holds a fault counted outside any span at no allocation
// beyond the engine's own, once the point's attributes are cached.
func TestNoSpanAllocs(t *testing.T) {
	mp, _ := metrics(t)
	e := armedEngine(t)
	instrument(t, e, mp)
	p := e.Point("db.query")
	ctx := context.Background()
	_ = p.Decide(ctx)
	if n := testing.AllocsPerRun(1000, func() { _ = p.Decide(ctx) }); n != 0 {
		t.Errorf("an instrumented fault outside a span allocates %v times, want 0", n)
	}
}
