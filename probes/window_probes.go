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
	return &ratioProbe{name: name, w: w, target: target, minCount: max(minCount, 1)}
}

type ratioProbe struct {
	name     string
	w        *SampleWindow
	target   float64
	minCount int
}

var _ Probe = (*ratioProbe)(nil)

func (p *ratioProbe) Name() string { return p.name }

func (p *ratioProbe) Check(ctx context.Context) Result {
	if err := checkWindow(ctx, p.w); err != nil {
		return notChecked(p.name, err)
	}
	if !(p.target >= 0 && p.target <= 1) {
		return notChecked(p.name, fmt.Errorf("probes: success ratio target %v is outside [0,1]", p.target))
	}
	start := time.Now()
	lat, ok := p.w.samples()
	r := Result{Probe: p.name, Duration: time.Since(start)}
	n := len(lat)
	want := "want >= " + strconv.FormatFloat(p.target, 'f', -1, 64)
	if n < p.minCount {
		r.OK = true
		r.Observed = notEnough(n, p.minCount)
		return r
	}
	ratio := float64(ok) / float64(n)
	shown := fmtRatio(ok, n)
	r.Observed = fmt.Sprintf("success ratio %s over %d calls, %d ok (%s)", shown, n, ok, want)
	if ratio < p.target {
		r.Err = fmt.Sprintf("probes: success ratio %s is below %s", shown, strconv.FormatFloat(p.target, 'f', -1, 64))
		return r
	}
	r.OK = true
	return r
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
	return &latencyProbe{name: name, w: w, q: q, limit: limit, minCount: max(minCount, 1)}
}

type latencyProbe struct {
	name     string
	w        *SampleWindow
	q        float64
	limit    time.Duration
	minCount int
}

var _ Probe = (*latencyProbe)(nil)

func (p *latencyProbe) Name() string { return p.name }

func (p *latencyProbe) Check(ctx context.Context) Result {
	if err := checkWindow(ctx, p.w); err != nil {
		return notChecked(p.name, err)
	}
	if !(p.q >= 0 && p.q <= 1) {
		return notChecked(p.name, fmt.Errorf("probes: quantile %v is outside [0,1]", p.q))
	}
	start := time.Now()
	lat, _ := p.w.samples()
	r := Result{Probe: p.name, Duration: time.Since(start)}
	n := len(lat)
	if n < p.minCount {
		r.OK = true
		r.Observed = notEnough(n, p.minCount)
		return r
	}
	label := "p" + strconv.FormatFloat(p.q*100, 'g', 6, 64)
	got := quantile(lat, p.q)
	r.Observed = fmt.Sprintf("%s latency %s over %d calls (want <= %s)", label, got, n, p.limit)
	if got > p.limit {
		r.Err = fmt.Sprintf("probes: %s latency %s is above %s", label, got, p.limit)
		return r
	}
	r.OK = true
	return r
}

func checkWindow(ctx context.Context, w *SampleWindow) error {
	if w == nil {
		return errNilWindow
	}
	return ctxErr(ctx)
}

func notEnough(n, need int) string {
	return fmt.Sprintf("not enough data: %d calls (need %d)", n, need)
}

// fmtRatio formats ok/n rounded down to four decimals, so that a ratio
// shown as at least a four-decimal target is at least that target.
func fmtRatio(ok, n int) string {
	v := int64(ok) * 10000 / int64(n)
	return strconv.FormatFloat(float64(v)/10000, 'f', -1, 64)
}
