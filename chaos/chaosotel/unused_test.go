package chaosotel_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaosotel"
	"github.com/faultline-go/faultline/chaos/chaostest"
)

// TestUnusedRulesGauge checks faultline.rules.unused through a real SDK
// meter provider: nothing before the engine's delay, one data point of 1
// per unused rule after it, with the rule's index and pattern, and nothing
// again once the rule is evaluated, the plan replaced, or the kill switch
// thrown. Time is fake, in a synctest bubble.
func TestUnusedRulesGauge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mp, reader := metrics(t)
		e := chaostest.New(t, chaos.WithUnusedRuleAfter(time.Minute))
		instrument(t, e, mp)
		if err := e.Apply(chaos.MustParsePlan(`db.query=error;db.qurey=error;"GET /cart/*"=delay(1s)`)); err != nil {
			t.Fatal(err)
		}
		_ = e.Point("db.query").Inject(context.Background())

		check := func(step string, want map[string]int64) {
			t.Helper()
			if diff := cmp.Diff(want, gauges(t, reader, chaosotel.UnusedRulesMetric)); diff != "" {
				t.Errorf("%s: %s (-want +got):\n%s", step, chaosotel.UnusedRulesMetric, diff)
			}
		}
		none := map[string]int64{}
		check("before the delay", none)
		time.Sleep(time.Minute) // fake time: returns at once
		check("after the delay", map[string]int64{
			"faultline.rule=1,faultline.rule.point=db.qurey":    1,
			"faultline.rule=2,faultline.rule.point=GET /cart/*": 1,
		})

		_ = e.Point("GET /cart/*").Inject(context.Background())
		check("rule 2 evaluated", map[string]int64{"faultline.rule=1,faultline.rule.point=db.qurey": 1})

		if err := e.Apply(chaos.MustParsePlan("db.query=error;db.qurey=error")); err != nil {
			t.Fatal(err)
		}
		check("new plan", none)
		time.Sleep(time.Minute)
		check("new plan after the delay", map[string]int64{
			"faultline.rule=0,faultline.rule.point=db.query": 1,
			"faultline.rule=1,faultline.rule.point=db.qurey": 1,
		})

		e.Disable("test")
		check("kill switch", none)
	})
}

// TestUnusedRulesGaugeOff checks that a negative WithUnusedRuleAfter keeps
// the gauge empty.
func TestUnusedRulesGaugeOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mp, reader := metrics(t)
		e := chaostest.New(t, chaos.WithUnusedRuleAfter(-1))
		instrument(t, e, mp)
		if err := e.Apply(chaos.MustParsePlan("db.qurey=error")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		if got := gauges(t, reader, chaosotel.UnusedRulesMetric); len(got) != 0 {
			t.Errorf("%s = %v with the report off, want nothing", chaosotel.UnusedRulesMetric, got)
		}
	})
}

// gauges collects r and returns the int64 gauge values of the metric called
// name, keyed by their attributes in the form attrKey.
func gauges(t testing.TB, r *sdkmetric.ManualReader, name string) map[string]int64 {
	t.Helper()
	out := make(map[string]int64)
	for _, m := range collect(t, r, name) {
		g, ok := m.Data.(metricdata.Gauge[int64])
		if !ok {
			t.Fatalf("%s is a %T, want a Gauge[int64]", name, m.Data)
		}
		if m.Unit != "{rule}" {
			t.Errorf("%s has unit %q, want {rule}", name, m.Unit)
		}
		for _, dp := range g.DataPoints {
			out[attrKey(dp.Attributes.ToSlice())] += dp.Value
		}
	}
	return out
}
