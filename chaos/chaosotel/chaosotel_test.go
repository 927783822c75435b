package chaosotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaosotel"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

func TestSpanEvent(t *testing.T) {
	tests := []struct {
		name   string
		policy chaos.Policy
		plan   string
		labels []string      // on the context
		extra  []chaos.Label // given to DecideLabels
		want   map[string]any
	}{
		{
			name: "error",
			plan: "db.query=error(timeout)",
			want: map[string]any{
				"faultline.point": "db.query", "faultline.fault.kind": "error", "faultline.fault.spec": "error(timeout)",
				"faultline.rule": int64(0), "faultline.seq": int64(1), "faultline.dry_run": false,
			},
		},
		{
			name: "latency, second rule",
			plan: "other=error;db.*=delay(200ms,50ms)",
			want: map[string]any{
				"faultline.point": "db.query", "faultline.fault.kind": "latency", "faultline.fault.spec": "delay(200ms,50ms)",
				"faultline.rule": int64(1), "faultline.seq": int64(1), "faultline.dry_run": false,
			},
		},
		{
			name:   "labels",
			plan:   "db.query=status(503)[label.tenant=acme]",
			labels: []string{"tenant", "globex", "region", "eu", "tenant", "acme"},
			extra:  []chaos.Label{{Key: "route", Value: "GET /users/{id}"}},
			want: map[string]any{
				"faultline.point": "db.query", "faultline.fault.kind": "status", "faultline.fault.spec": "status(503)",
				"faultline.rule": int64(0), "faultline.seq": int64(1), "faultline.dry_run": false,
				"faultline.label.tenant": "acme", "faultline.label.region": "eu", "faultline.label.route": "GET /users/{id}",
			},
		},
		{
			name:   "dry run",
			policy: chaos.Policy{DryRun: true},
			plan:   "db.query=badconn",
			want: map[string]any{
				"faultline.point": "db.query", "faultline.fault.kind": "badconn", "faultline.fault.spec": "badconn",
				"faultline.rule": int64(0), "faultline.seq": int64(1), "faultline.dry_run": true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, exp := tracing(t)
			mp, _ := metrics(t)
			e := chaostest.New(t, chaos.WithPolicy(tt.policy), chaos.WithInstance("web-1"))
			instrument(t, e, mp)
			chaostest.Enable(t, e, tt.plan)
			if strings.HasPrefix(tt.plan, "other=") {
				_ = e.Point("other").Decide(context.Background())
			}

			ctx, span := tp.Tracer("test").Start(context.Background(), "request")
			ctx = chaos.WithLabels(ctx, tt.labels...)
			d := e.Point("db.query").DecideLabels(ctx, tt.extra...)
			span.End()

			if tt.policy.DryRun == d.Fired() {
				t.Fatalf("Fired() = %v in dry-run mode %v", d.Fired(), tt.policy.DryRun)
			}
			spans := exp.GetSpans()
			if len(spans) != 1 || len(spans[0].Events) != 1 {
				t.Fatalf("got %d spans (%v), want 1 with 1 event", len(spans), spans)
			}
			ev := spans[0].Events[0]
			if ev.Name != chaosotel.EventName {
				t.Errorf("event name %q, want %q", ev.Name, chaosotel.EventName)
			}
			want := map[string]any{"faultline.seed": fmt.Sprint(e.Seed()), "faultline.instance": "web-1"}
			for k, v := range tt.want {
				want[k] = v
			}
			if d.Kind() == faults.KindLatency {
				// The event carries the decision's own delay, jitter included.
				want["faultline.fault.delay"] = d.Delay().Seconds()
			}
			if diff := cmp.Diff(want, attrMap(ev.Attributes)); diff != "" {
				t.Errorf("event attributes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	mp, reader := metrics(t)
	e := chaostest.New(t)
	instrument(t, e, mp)
	chaostest.Enable(t, e, "a=3*error;b=50%delay(1ms);c=panic[every=4]")
	ctx := context.Background()
	e.Point("idle") // never armed: zero evaluations
	for range 10 {
		for _, name := range []string{"a", "b", "c"} {
			_ = e.Point(name).Decide(ctx)
		}
	}

	// The engine's own counters are the reference.
	wantInj := map[string]int64{}
	wantEval := map[string]int64{}
	for _, ps := range e.Stats().Points {
		wantEval[fmt.Sprintf("faultline.point=%s", ps.Point)] = int64(ps.Evaluations)
		for k, n := range ps.ByKind {
			wantInj[fmt.Sprintf("faultline.dry_run=false,faultline.fault.kind=%s,faultline.point=%s", k, ps.Point)] = int64(n)
		}
	}
	if wantInj[errorAtA] != 3 ||
		wantInj["faultline.dry_run=false,faultline.fault.kind=panic,faultline.point=c"] != 2 ||
		wantEval["faultline.point=a"] != 10 || wantEval["faultline.point=idle"] != 0 {
		t.Fatalf("unexpected engine stats: injections %v, evaluations %v", wantInj, wantEval)
	}
	checkSums(t, reader, chaosotel.InjectionsMetric, wantInj)
	checkSums(t, reader, chaosotel.EvaluationsMetric, wantEval)
}

func TestDryRunMetric(t *testing.T) {
	mp, reader := metrics(t)
	e := chaostest.New(t, chaos.WithPolicy(chaos.Policy{DryRun: true}))
	instrument(t, e, mp)
	chaostest.Enable(t, e, "a=error")
	for range 4 {
		if err := e.Point("a").Inject(context.Background()); err != nil {
			t.Fatalf("dry run injected %v", err)
		}
	}
	want := map[string]int64{"faultline.dry_run=true,faultline.fault.kind=error,faultline.point=a": 4}
	checkSums(t, reader, chaosotel.InjectionsMetric, want)
}

// TestWithoutRecordingSpan checks that a call with no span, or a span that
// is not recording, is still counted and adds no event.
func TestWithoutRecordingSpan(t *testing.T) {
	tp, exp := tracing(t, sdktrace.WithSampler(sdktrace.NeverSample()))
	mp, reader := metrics(t)
	e := chaostest.New(t)
	instrument(t, e, mp)
	chaostest.Enable(t, e, "a=error")
	_ = e.Point("a").Inject(context.Background())
	ctx, span := tp.Tracer("test").Start(context.Background(), "unsampled")
	_ = e.Point("a").Inject(ctx)
	span.End()
	if spans := exp.GetSpans(); len(spans) != 0 {
		t.Errorf("exported %d spans, want none", len(spans))
	}
	checkSums(t, reader, chaosotel.InjectionsMetric, map[string]int64{errorAtA: 2})
}

func TestStop(t *testing.T) {
	tp, exp := tracing(t)
	mp, reader := metrics(t)
	e := chaostest.New(t)
	stop, err := chaosotel.Instrument(e, chaosotel.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	chaostest.Enable(t, e, "a=error")
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	_ = e.Point("a").Inject(ctx)
	stop()
	stop() // idempotent
	_ = e.Point("a").Inject(ctx)
	span.End()

	if n := len(exp.GetSpans()[0].Events); n != 1 {
		t.Errorf("span has %d events, want 1 (none after stop)", n)
	}
	checkSums(t, reader, chaosotel.InjectionsMetric, map[string]int64{errorAtA: 1})
	if got := sums(t, reader, chaosotel.EvaluationsMetric); len(got) != 0 {
		t.Errorf("%s after stop = %v, want nothing observed", chaosotel.EvaluationsMetric, got)
	}
}

// TestDefaults checks what Instrument uses when it is not told: a nil
// engine means chaos.Default, and no WithMeterProvider the global
// provider, which records the metrics.
func TestDefaults(t *testing.T) {
	tests := []struct {
		name                   string
		nilEngine, globalMeter bool
	}{
		{name: "nil engine", nilEngine: true},
		{name: "global meter provider", globalMeter: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp, reader := metrics(t)
			e := chaostest.New(t)
			engine, meters := e, metric.MeterProvider(mp)
			if tt.nilEngine {
				prev := chaos.Default()
				chaos.SetDefault(e)
				t.Cleanup(func() { chaos.SetDefault(prev) })
				engine = nil
			}
			if tt.globalMeter {
				prev := otel.GetMeterProvider()
				otel.SetMeterProvider(mp)
				t.Cleanup(func() { otel.SetMeterProvider(prev) })
				meters = nil
			}
			instrument(t, engine, meters)
			chaostest.Enable(t, e, "a=error")
			_ = e.Point("a").Inject(context.Background())
			checkSums(t, reader, chaosotel.InjectionsMetric, map[string]int64{errorAtA: 1})
		})
	}
}

// TestHTTPServerSpan shows that the spans otelhttp makes carry the faults
// chaoshttp injects, with no code beyond the two middlewares.
func TestHTTPServerSpan(t *testing.T) {
	tp, exp := tracing(t)
	mp, _ := metrics(t)
	e := chaostest.New(t)
	instrument(t, e, mp)
	chaostest.Enable(t, e, `"GET /users/{id}"=error(db down,503)`)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "user", r.PathValue("id"))
	})
	handler := otelhttp.NewHandler(chaoshttp.Middleware(e)(mux), "server", otelhttp.WithTracerProvider(tp))
	srv := httptest.NewServer(handler)
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()

	resp, err := client.Get(srv.URL + "/users/42")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", resp.StatusCode)
	}
	srv.Close() // waits for the handler, and so for its span to end
	spans := exp.GetSpans()
	if len(spans) != 1 || len(spans[0].Events) != 1 {
		t.Fatalf("got spans %v, want one server span with one event", spans)
	}
	ev := spans[0].Events[0]
	got := attrMap(ev.Attributes)
	if ev.Name != chaosotel.EventName || got["faultline.point"] != "GET /users/{id}" || got["faultline.fault.kind"] != "error" {
		t.Errorf("event %s %v, want %s at GET /users/{id} of kind error", ev.Name, got, chaosotel.EventName)
	}
}

// TestConcurrentInjections checks, under the race detector, that
// concurrent injections at many points are all counted and all recorded.
func TestConcurrentInjections(t *testing.T) {
	tp, exp := tracing(t)
	mp, reader := metrics(t)
	e := chaostest.New(t)
	instrument(t, e, mp)
	chaostest.Enable(t, e, "p*=error")
	const goroutines, calls, points = 8, 50, 5
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			ctx, span := tp.Tracer("test").Start(context.Background(), fmt.Sprint("worker ", g))
			defer span.End()
			for i := range calls {
				_ = e.Point(fmt.Sprintf("p%d", i%points)).Inject(ctx)
			}
		})
	}
	wg.Wait()
	events := 0
	for _, s := range exp.GetSpans() {
		events += len(s.Events)
	}
	if events != goroutines*calls {
		t.Errorf("%d span events, want %d", events, goroutines*calls)
	}
	var total int64
	for _, n := range sums(t, reader, chaosotel.InjectionsMetric) {
		total += n
	}
	if total != goroutines*calls {
		t.Errorf("%s total %d, want %d", chaosotel.InjectionsMetric, total, goroutines*calls)
	}
}
