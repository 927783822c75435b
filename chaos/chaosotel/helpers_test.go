package chaosotel_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaosotel"
)

// errorAtA is the attribute key of the injections of "a=error".
const errorAtA = "faultline.dry_run=false,faultline.fault.kind=error,faultline.point=a"

// instrument instruments e, recording metrics to mp (the global provider
// if mp is nil), until the test ends.
func instrument(t testing.TB, e *chaos.Engine, mp metric.MeterProvider) {
	t.Helper()
	var opts []chaosotel.Option
	if mp != nil {
		opts = append(opts, chaosotel.WithMeterProvider(mp))
	}
	stop, err := chaosotel.Instrument(e, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
}

// checkSums fails the test unless the sums of the metric called name, as
// sums returns them, are want.
func checkSums(t testing.TB, r *sdkmetric.ManualReader, name string, want map[string]int64) {
	t.Helper()
	if diff := cmp.Diff(want, sums(t, r, name)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// tracing returns a tracer provider that exports every span, as soon as it
// ends, to the returned in-memory exporter.
func tracing(t testing.TB, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSyncer(exp)}, opts...)...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// metrics returns a meter provider read by the returned manual reader.
func metrics(t testing.TB) (*sdkmetric.MeterProvider, *sdkmetric.ManualReader) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp, r
}

// collect collects r and returns the metrics called name (none, or one
// per scope that made it).
func collect(t testing.TB, r *sdkmetric.ManualReader, name string) []metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collecting metrics: %v", err)
	}
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				out = append(out, m)
			}
		}
	}
	return out
}

// sums collects r and returns the int64 sums of the metric called name,
// keyed by their attributes in the form attrKey.
func sums(t testing.TB, r *sdkmetric.ManualReader, name string) map[string]int64 {
	t.Helper()
	out := make(map[string]int64)
	for _, m := range collect(t, r, name) {
		sum, ok := m.Data.(metricdata.Sum[int64])
		if !ok {
			t.Fatalf("%s is a %T, want a Sum[int64]", name, m.Data)
		}
		if !sum.IsMonotonic || sum.Temporality != metricdata.CumulativeTemporality {
			t.Errorf("%s: monotonic %v, temporality %v; want a cumulative counter", name, sum.IsMonotonic, sum.Temporality)
		}
		for _, dp := range sum.DataPoints {
			out[attrKey(dp.Attributes.ToSlice())] += dp.Value
		}
	}
	return out
}

// attrKey renders attributes as "k=v,k=v" in key order.
func attrKey(kvs []attribute.KeyValue) string {
	s := attribute.NewSet(kvs...)
	return string(s.Encoded(attribute.DefaultEncoder()))
}

// attrMap returns attributes as a map from key to Go value.
func attrMap(kvs []attribute.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}
