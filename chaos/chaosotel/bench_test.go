package chaosotel_test

import (
	"context"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaosotel"
)

// BenchmarkInjection measures a point that fires on every call: bare, then
// instrumented without a span, then inside a recording span (which keeps
// at most 128 events, so later ones are counted and dropped by the SDK).
// Only firing calls reach the observer; calls that do not fire cost the
// same instrumented or not.
func BenchmarkInjection(b *testing.B) {
	newEngine := func(b *testing.B) *chaos.Engine {
		e := chaos.New(chaos.WithSeed(1))
		if err := e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
			b.Fatal(err)
		}
		return e
	}
	b.Run("bare", func(b *testing.B) {
		p := newEngine(b).Point("db.query")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Decide(ctx)
		}
	})
	b.Run("no-span", func(b *testing.B) {
		mp, _ := metrics(b)
		e := newEngine(b)
		stop, err := chaosotel.Instrument(e, chaosotel.WithMeterProvider(mp))
		if err != nil {
			b.Fatal(err)
		}
		defer stop()
		p := e.Point("db.query")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Decide(ctx)
		}
	})
	b.Run("span", func(b *testing.B) {
		mp, _ := metrics(b)
		tp, _ := tracing(b)
		e := newEngine(b)
		stop, err := chaosotel.Instrument(e, chaosotel.WithMeterProvider(mp))
		if err != nil {
			b.Fatal(err)
		}
		defer stop()
		p := e.Point("db.query")
		ctx, span := tp.Tracer("bench").Start(context.Background(), "request")
		defer span.End()
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Decide(ctx)
		}
	})
}

// TestNoSpanAllocs holds a fault counted outside any span at no allocation
// beyond the engine's own, once the point's attributes are cached.
func TestNoSpanAllocs(t *testing.T) {
	mp, _ := metrics(t)
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
		t.Fatal(err)
	}
	stop, err := chaosotel.Instrument(e, chaosotel.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p := e.Point("db.query")
	ctx := context.Background()
	_ = p.Decide(ctx)
	if n := testing.AllocsPerRun(1000, func() { _ = p.Decide(ctx) }); n != 0 {
		t.Errorf("an instrumented fault outside a span allocates %v times, want 0", n)
	}
}
