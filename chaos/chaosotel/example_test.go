package chaosotel_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaosotel"
)

// Instrument an engine, inject a fault inside a span, and read the span
// event and the counter back. A service would pass its own providers, or
// none to use the global ones.
func ExampleInstrument() {
	ctx := context.Background()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(ctx)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)

	e := chaos.New(chaos.WithSeed(42), chaos.WithInstance("web-1"))
	stop, err := chaosotel.Instrument(e, chaosotel.WithMeterProvider(mp))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	if err := e.Apply(chaos.MustParsePlan("payments.charge=error(card declined)")); err != nil {
		fmt.Println(err)
		return
	}

	ctx, span := tp.Tracer("checkout").Start(ctx, "POST /checkout")
	err = e.Point("payments.charge").Inject(chaos.WithLabels(ctx, "tenant", "acme"))
	span.End()
	fmt.Println(err)

	for _, ev := range spans.GetSpans()[0].Events {
		fmt.Println(ev.Name)
		for _, kv := range ev.Attributes {
			fmt.Printf("  %s=%s\n", kv.Key, kv.Value.Emit())
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		sum, ok := m.Data.(metricdata.Sum[int64]) // the counters; the gauges are left out here
		if !ok {
			continue
		}
		for _, dp := range sum.DataPoints {
			fmt.Println(m.Name, dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Value)
		}
	}
	// Output:
	// faultline: injected error at payments.charge: card declined
	// faultline.injection
	//   faultline.point=payments.charge
	//   faultline.fault.kind=error
	//   faultline.fault.spec=error(card declined)
	//   faultline.rule=0
	//   faultline.seq=1
	//   faultline.dry_run=false
	//   faultline.seed=42
	//   faultline.instance=web-1
	//   faultline.label.tenant=acme
	// faultline.injections faultline.dry_run=false,faultline.fault.kind=error,faultline.point=payments.charge 1
	// faultline.evaluations faultline.point=payments.charge 1
}
