package chaosotel_test

import (
	"testing"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaosotel"
)

// TestKillSwitchGauges: the kill switch reads 1 with its reason while it
// is thrown and 0 after a re-arm; the rate scale reads what pacing set.
func TestKillSwitchGauges(t *testing.T) {
	mp, r := metrics(t)
	e := chaos.New(chaos.WithSeed(1))
	stop, err := chaosotel.Instrument(e, chaosotel.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	read := func() (kill int64, reason string, scale float64) {
		t.Helper()
		for _, m := range collect(t, r, chaosotel.KillSwitchMetric) {
			dp := m.Data.(metricdata.Gauge[int64]).DataPoints[0]
			kill = dp.Value
			if v, ok := dp.Attributes.Value(chaosotel.ReasonKey); ok {
				reason = v.AsString()
			}
		}
		for _, m := range collect(t, r, chaosotel.RateScaleMetric) {
			scale = m.Data.(metricdata.Gauge[float64]).DataPoints[0].Value
		}
		return kill, reason, scale
	}
	if kill, _, scale := read(); kill != 0 || scale != 1 {
		t.Errorf("a live engine reads kill switch %d, scale %v; want 0, 1", kill, scale)
	}
	e.SetRateScale(0.25)
	e.Disable("guard: checkout ≥ 99%: success ratio 0.8")
	if kill, reason, scale := read(); kill != 1 || reason != "guard: checkout ≥ 99%: success ratio 0.8" || scale != 0.25 {
		t.Errorf("after a guard trip: kill switch %d, reason %q, scale %v", kill, reason, scale)
	}
	e.Rearm("admin: alice")
	if kill, reason, _ := read(); kill != 0 || reason != "" {
		t.Errorf("after a re-arm: kill switch %d, reason %q", kill, reason)
	}
}
