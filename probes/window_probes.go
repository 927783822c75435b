package probes

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// SuccessRatioAtLeast returns a probe that passes when at least a share
// target of the window's samples succeeded.
//
// When the window holds fewer than minCount samples there is not enough
// data to judge: the probe passes and Observed says so. A minCount below 1
// counts as 1, so an empty window is never judged. A target outside
// [0,1] makes every check fail. The probe reads the window each time it is
// checked and is safe for concurrent use.
func (w *SampleWindow) SuccessRatioAtLeast(name string, target float64, minCount int) Probe {
	p := newWindowProbe(name, w, minCount)
	if !(target >= 0 && target <= 1) && p.broken == nil {
		p.broken = fmt.Errorf("probes: success ratio target %v is outside [0,1]", target)
	}
	shownTarget := strconv.FormatFloat(target, 'f', -1, 64)
	p.metric, p.unit, p.threshold = "success_ratio", UnitRatio, target
	p.value = func(sorted []time.Duration, ok int) float64 { return float64(ok) / float64(len(sorted)) }
	p.judge = func(sorted []time.Duration, ok int) (string, error) {
		n := len(sorted)
		shown := fmtRatio(ok, n)
		observed := fmt.Sprintf("success ratio %s over %d calls, %d ok (want >= %s)", shown, n, ok, shownTarget)
		if float64(ok)/float64(n) < target {
			return observed, fmt.Errorf("probes: success ratio %s is below %s", shown, shownTarget)
		}
		return observed, nil
	}
	return p
}

// LatencyAtMost returns a probe that passes when the q-quantile of the
// window's latencies (nearest rank, over all samples, as in [SampleStats]) is at
// most limit. For the 99th percentile q is 0.99.
//
// When the window holds fewer than minCount samples (a minCount below 1
// counts as 1) the probe passes and Observed says there is not enough data.
// A q outside [0,1] makes every check fail. The probe reads the window each
// time it is checked and is safe for concurrent use.
func (w *SampleWindow) LatencyAtMost(name string, q float64, limit time.Duration, minCount int) Probe {
	p := newWindowProbe(name, w, minCount)
	if !(q >= 0 && q <= 1) && p.broken == nil {
		p.broken = fmt.Errorf("probes: quantile %v is outside [0,1]", q)
	}
	label := "p" + strconv.FormatFloat(q*100, 'g', 6, 64)
	p.metric, p.unit, p.threshold = label+"_latency", UnitNanos, float64(limit)
	p.value = func(sorted []time.Duration, _ int) float64 { return float64(quantile(sorted, q)) }
	p.judge = func(sorted []time.Duration, _ int) (string, error) {
		got := quantile(sorted, q)
		observed := fmt.Sprintf("%s latency %s over %d calls (want <= %s)", label, got, len(sorted), limit)
		if got > limit {
			return observed, fmt.Errorf("probes: %s latency %s is above %s", label, got, limit)
		}
		return observed, nil
	}
	return p
}

// Settling is implemented by probes whose checks trail the system, such as
// the window probes: after a change, SettleTime is how long a check may
// still see the state before it. An experiment waits that long, at most,
// for the steady state to come back once its faults are off. Every window
// probe of this package is a Settling.
type Settling interface {
	Probe
	SettleTime() time.Duration
}

var _ Settling = (*windowProbe)(nil)

// windowProbe is a passive probe: it judges the samples of a window.
type windowProbe struct {
	name     string
	w        *SampleWindow
	minCount int
	broken   error // a nil window or a bad argument: every check fails with it
	// judge returns the Observed text for at least minCount sorted
	// latencies, ok of which succeeded, and why they fail the probe.
	judge func(sorted []time.Duration, ok int) (observed string, err error)
	// value measures at least one sorted latency, ok of which succeeded,
	// in unit; metric names it and threshold is its tolerance.
	value     func(sorted []time.Duration, ok int) float64
	metric    string
	unit      string
	threshold float64
}

func newWindowProbe(name string, w *SampleWindow, minCount int) *windowProbe {
	p := &windowProbe{name: name, w: w, minCount: max(minCount, 1)}
	if w == nil {
		p.broken = errNilWindow
	}
	return p
}

func (p *windowProbe) Name() string { return p.name }

// SettleTime returns the window's max age: how long samples taken before a
// change can still sway the probe's checks. It is 0 for a window without
// a max age, whose samples leave only as newer ones push them out.
func (p *windowProbe) SettleTime() time.Duration { return p.w.MaxAge() }

func (p *windowProbe) Check(ctx context.Context) Result {
	if err := cannotCheck(ctx, p.broken); err != nil {
		return notChecked(p.name, err)
	}
	start := time.Now()
	lat, ok := p.w.samples()
	r := Result{
		Probe: p.name, OK: true, Duration: time.Since(start),
		Metric: p.metric, Threshold: p.threshold, Unit: p.unit, Samples: len(lat), MinSamples: p.minCount,
	}
	if len(lat) > 0 {
		r.Value = p.value(lat, ok)
	}
	if len(lat) < p.minCount {
		r.Observed = fmt.Sprintf("not enough data: %d calls (need %d)", len(lat), p.minCount)
		return r
	}
	var err error
	if r.Observed, err = p.judge(lat, ok); err != nil {
		r.OK, r.Err = false, err.Error()
	}
	return r
}

// fmtRatio formats ok/n rounded down to four decimals, so that a ratio
// shown as at least a four-decimal target is at least that target.
func fmtRatio(ok, n int) string {
	v := int64(ok) * 10000 / int64(n)
	return strconv.FormatFloat(float64(v)/10000, 'f', -1, 64)
}
