package probes

import (
	"context"
	"fmt"
	"time"
)

// Result is the outcome of one probe check. It is plain data: it holds no
// pointers or Go errors, marshals to JSON as is, and two checks that saw the
// same thing give equal Results.
type Result struct {
	// Probe is the name of the probe that made the check.
	Probe string `json:"probe"`
	// OK reports whether the steady state held.
	OK bool `json:"ok"`
	// Observed says in words what the check saw and, when the probe has a
	// tolerance, what it wanted in parentheses: "status 200 in 12ms (want
	// 2xx)". It is "not checked" when the check could not start.
	Observed string `json:"observed"`
	// Err is the reason the check failed or could not be made. It is empty
	// when OK is true.
	Err string `json:"error,omitempty"`
	// Metric names what Value measures: "success_ratio" for
	// [SampleWindow.SuccessRatioAtLeast], "p99_latency" (or another
	// quantile) for [SampleWindow.LatencyAtMost], and "check_latency", the
	// time the check itself took, for [Func], [HTTP] and [SQL]. It is
	// empty when the check could not start.
	Metric string `json:"metric,omitempty"`
	// Value is what the check measured, in Unit. A window probe with no
	// samples measures 0.
	Value float64 `json:"value"`
	// Threshold is the tolerance Value is judged against, in Unit: the
	// lowest passing success ratio, the highest passing latency. It is 0
	// when the probe has none (an active probe without
	// [WithMaxLatency]).
	Threshold float64 `json:"threshold,omitempty"`
	// Unit is the unit of Value and Threshold: "ratio" (in [0,1]) or "ns"
	// (nanoseconds, as every duration in this package's JSON).
	Unit string `json:"unit,omitempty"`
	// Samples is how many observations Value is made of: the samples in
	// the window for a window probe, 1 for an active probe that ran, 0 for
	// a check that could not start.
	Samples int `json:"samples"`
	// MinSamples is the fewest samples a window probe judges; with fewer,
	// the check passes and Observed says there is not enough data. It is 0
	// for active probes.
	MinSamples int `json:"min_samples,omitempty"`
	// Duration is how long the check took.
	Duration time.Duration `json:"duration_ns"`
}

// Units of [Result.Value] and [Result.Threshold].
const (
	UnitRatio = "ratio" // a share in [0,1]
	UnitNanos = "ns"    // a duration in nanoseconds
)

// Judged reports whether the check measured enough to judge: it started
// and, for a window probe, saw at least MinSamples samples.
func (r Result) Judged() bool {
	return r.Samples > 0 && r.Samples >= r.MinSamples
}

// Probe is a named steady-state check with a tolerance.
//
// Check must respect ctx: when ctx is done before the check, the Result is
// not OK and Err says why, and a check under way should stop soon after ctx
// is done. Check reports every failure in the Result; it does not panic.
// Implementations must be safe for concurrent use; every Probe in this
// package is.
type Probe interface {
	// Name returns the name given to the probe. It appears in every Result.
	Name() string
	// Check makes one check and reports what it saw.
	Check(ctx context.Context) Result
}

// Func returns a probe that calls fn and passes when fn returns nil.
//
// fn receives the ctx given to Check and should return promptly when it is
// done. Check does not call fn when ctx is already done. A panic in fn is
// recovered and reported as a failed check, so a probe cannot take down the
// experiment that runs it. A nil fn gives a probe whose checks always fail.
// The probe is safe for concurrent use if fn is.
func Func(name string, fn func(ctx context.Context) error) Probe {
	p := &funcProbe{name: name, fn: fn}
	if fn == nil {
		p.broken = errNilFunc
	}
	return p
}

type funcProbe struct {
	name   string
	fn     func(ctx context.Context) error
	broken error // errNilFunc for a nil fn
}

func (p *funcProbe) Name() string { return p.name }

func (p *funcProbe) Check(ctx context.Context) Result {
	return checkConfig{}.check(ctx, p.name, p.broken, "", func(ctx context.Context) (string, error) {
		if err := callSafely(ctx, p.fn); err != nil {
			return "failed in", err
		}
		return "ok in", nil
	})
}

// check is the frame every active probe's Check shares. When broken is
// not nil (the probe was made with a nil dependency or a bad argument) or
// ctx is already done, it returns a Result that says the check could not
// start. Otherwise it calls call with ctx bounded by the timeout, and
// times it. call returns the Observed text up to the duration ("status 200
// in", "no response after") and why the check failed; check adds the
// duration and want, the tolerance ("" or " (want 2xx)"), and fails a call
// that succeeded but took longer than the max latency.
func (c checkConfig) check(ctx context.Context, name string, broken error, want string,
	call func(ctx context.Context) (observed string, err error)) Result {
	if err := cannotCheck(ctx, broken); err != nil {
		return notChecked(name, err)
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	start := time.Now()
	observed, err := call(ctx)
	d := time.Since(start)
	if err == nil && c.maxLatency > 0 && d > c.maxLatency {
		err = fmt.Errorf("probes: took %s, want within %s", fmtDuration(d), c.maxLatency)
	}
	r := Result{
		Probe: name, OK: err == nil, Observed: observed + " " + fmtDuration(d) + want,
		Metric: "check_latency", Value: float64(d), Threshold: float64(c.maxLatency), Unit: UnitNanos,
		Samples: 1, Duration: d,
	}
	if err != nil {
		r.Err = err.Error()
	}
	return r
}

// cannotCheck returns why a check cannot start: broken, or the cause of
// ctx being done; nil when it can.
func cannotCheck(ctx context.Context, broken error) error {
	if broken != nil {
		return broken
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// callSafely calls fn and turns a panic into an error.
func callSafely(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", errPanic, v)
		}
	}()
	return fn(ctx)
}

// notChecked is the Result of a check that could not start.
func notChecked(name string, err error) Result {
	return Result{Probe: name, Observed: "not checked", Err: err.Error()}
}

// fmtDuration formats a measured duration for Observed texts: to the
// microsecond above one microsecond, exact below.
func fmtDuration(d time.Duration) string {
	if d > time.Microsecond {
		d = d.Round(time.Microsecond)
	}
	return d.String()
}
