package probes_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/probes"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// drawSamples draws a sequence of samples with latencies up to 10s, often
// repeated so that quantiles land on ties.
func drawSamples(t *rapid.T) []sample {
	latency := rapid.OneOf(
		rapid.Int64Range(0, 10_000), // nanoseconds
		rapid.SampledFrom([]int64{int64(ms(1)), int64(ms(5)), int64(ms(100))}), // ties
		rapid.Int64Range(0, int64(10*time.Second)),
	)
	gen := rapid.Custom(func(t *rapid.T) sample {
		return sample{
			ok:      rapid.Bool().Draw(t, "ok"),
			latency: time.Duration(latency.Draw(t, "latency")),
		}
	})
	return rapid.SliceOfN(gen, 0, 300).Draw(t, "samples")
}

// TestWindowMatchesModel: for any sequence of Records, the snapshot equals
// the naive model over the last size samples.
func TestWindowMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		size := rapid.IntRange(1, 70).Draw(t, "size")
		samples := drawSamples(t)
		w := probes.NewSampleWindow(size)
		for _, s := range samples {
			w.Record(s.ok, s.latency)
		}
		if diff := cmp.Diff(model(samples, size), w.Snapshot()); diff != "" {
			t.Fatalf("Snapshot() differs from the model (-model +got):\n%s", diff)
		}
	})
}

// tick is the age resolution of a window whose max age is below about 4s.
const tick = 1 << 20 * time.Nanosecond

// TestWindowMaxAgeMatchesModel: with a max age, on fake time, the snapshot
// equals the model over the last size samples that are at most max age old,
// with latencies cut to the microsecond. Times are whole ticks so that no
// sample sits on the age boundary by rounding.
func TestWindowMaxAgeMatchesModel(t *testing.T) {
	synctest.Test(t, func(st *testing.T) {
		// rapid asks a *testing.T for its deadline, which a bubble
		// forbids; hiding the type makes it use its own 24h limit, counted
		// on fake time.
		rapid.Check(struct{ rapid.TB }{st}, func(t *rapid.T) {
			size := rapid.IntRange(1, 70).Draw(t, "size")
			maxAge := time.Duration(rapid.IntRange(1, 4095).Draw(t, "maxAgeTicks")) * tick
			samples := drawSamples(t)
			gaps := rapid.SliceOfN(rapid.IntRange(0, 50), len(samples), len(samples)).Draw(t, "gapTicks")
			wait := time.Duration(rapid.IntRange(0, 5000).Draw(t, "waitTicks")) * tick

			w := probes.NewSampleWindow(size, probes.WithMaxAge(maxAge))
			at := make([]time.Time, len(samples))
			for i, s := range samples {
				time.Sleep(time.Duration(gaps[i]) * tick)
				at[i] = time.Now()
				w.Record(s.ok, s.latency)
			}
			time.Sleep(wait)

			var kept []sample
			if len(samples) > size {
				samples, at = samples[len(samples)-size:], at[len(at)-size:]
			}
			now := time.Now()
			for i, s := range samples {
				if now.Sub(at[i]) <= maxAge {
					kept = append(kept, sample{s.ok, min(s.latency.Truncate(time.Microsecond), (1<<28-1)*time.Microsecond)})
				}
			}
			if diff := cmp.Diff(model(kept, size), w.Snapshot()); diff != "" {
				t.Fatalf("Snapshot() differs from the model (-model +got):\n%s", diff)
			}
		})
	})
}
