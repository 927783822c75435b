package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/wait"
	"github.com/faultline-go/faultline/probes"
)

// Pacer paces an always-on plan by the service's error budget: every
// interval it reads the error ratio of an SLI window, and sets the engine's
// rate scale ([chaos.Engine.SetRateScale]) so that the faults take less as
// the budget burns, none once it burns too fast, and their full rate again
// once it recovers.
//
//	window := probes.NewSampleWindow(4096, probes.WithMaxAge(time.Second))
//	p := guard.NewPacer(engine, window, 0.99) // a 99% success SLO
//	go p.Run(ctx)
//
// The burn rate is the window's error ratio over the error budget, 1-SLO:
// 1 burns the budget exactly as fast as the SLO allows. Each interval the
// pacer sets the scale s to:
//
//   - 0, when the burn is at or above the stop burn ([WithStopBurn], default
//     [DefaultStopBurn]), or nothing is armed (no plan, or the kill switch
//     thrown), so that a plan applied later starts from nothing;
//   - target·budget − errors when the scale was 0 at any time the window
//     spans (or a new plan was applied), at most 1: a first step
//     that cannot take the errors past the target burn ([WithTargetBurn],
//     default [DefaultTargetBurn]) even if every call it adds a fault to
//     fails;
//   - otherwise the lowest scale in force over the window's span times
//     target burn / burn, at most [Growth] times that scale and at most 1.
//
// The scale only lowers rates: it is clamped to [0,1], so no rule ever
// fires above its plan's rate or its policy's. Since the service's errors
// grow with the scale, from its baseline, the last rule keeps the next
// interval's burn at or under the target when it raises the scale, and
// under the burn just seen when it lowers it; so the burn stays under the
// stop burn, below 1, whatever the plan's rates, and the scale is zero
// before the SLO is breached, as long as the baseline itself stays below
// the stop burn and changes slowly against the interval.
//
// The window must show each interval's outcomes: give it
// [probes.WithMaxAge] (the pacer then looks back over as many intervals as
// the max age spans), or a size that the service's traffic refills within
// an interval. With fewer than [WithMinSamples] samples (default
// [DefaultMinSamples]) the pacer holds the scale. A plan replaced while the
// scale is up runs at that scale until the next interval, when the pacer
// starts it again from 0.
//
// The pacer owns the engine's rate scale: run one per engine. Run sets it to
// 0 when it starts, and leaves it as it is when it returns, so stopping the
// pacer never raises a rate. It changes no plan and respects the kill switch
// by construction: a scale only ever lowers what fires.
//
// A Pacer is safe for concurrent use: Status may be called while Run runs.
// It runs one Run at a time.
type Pacer struct {
	eng        *chaos.Engine
	w          *probes.SampleWindow
	slo        float64
	interval   time.Duration
	target     float64
	stop       float64 // < 0: no stop
	minSamples int
	log        *slog.Logger
	running    atomic.Bool

	stepMu sync.Mutex // serialises Updates, and guards what follows it
	hist   []float64  // the scales set at the last len(hist) intervals, newest last
	gen    uint64     // the engine's generation at the last interval

	mu     sync.Mutex // guards status
	status PacerStatus
}

// PacerStatus is what a [Pacer] saw and set at its last interval. It is
// plain data.
type PacerStatus struct {
	// Scale is the rate scale the pacer set last.
	Scale float64 `json:"scale"`
	// ErrorRatio is the window's share of failed calls.
	ErrorRatio float64 `json:"error_ratio"`
	// Burn is ErrorRatio over the error budget, 1-SLO.
	Burn float64 `json:"burn"`
	// Samples is how many samples the window held.
	Samples int `json:"samples"`
	// Armed reports whether the engine was armed.
	Armed bool `json:"armed"`
	// Updated is when the pacer last set the scale; zero before it has.
	Updated time.Time `json:"updated"`
	// Stops counts the intervals at which the burn reached the stop burn.
	Stops uint64 `json:"stops"`
}

// NewPacer returns a pacer of engine e by the error ratio of window w and
// a success-ratio SLO in (0,1), as 0.99. A nil e means [chaos.Default]().
func NewPacer(e *chaos.Engine, w *probes.SampleWindow, slo float64, opts ...PacerOption) *Pacer {
	if e == nil {
		e = chaos.Default()
	}
	p := &Pacer{
		eng: e, w: w, slo: slo, interval: DefaultInterval,
		target: DefaultTargetBurn, stop: DefaultStopBurn, minSamples: DefaultMinSamples,
	}
	for _, o := range opts {
		o.applyPacer(p)
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p
}

// validate lists every reason the pacer cannot run.
func (p *Pacer) validate() error {
	var errs []error
	if p.w == nil {
		errs = append(errs, errors.New("window: nil"))
	}
	if !(p.slo > 0 && p.slo < 1) {
		errs = append(errs, fmt.Errorf("slo: %v is outside (0,1)", p.slo))
	}
	if p.target > 1 {
		errs = append(errs, fmt.Errorf("target burn: %v is above 1", p.target))
	}
	switch {
	case p.stop > 1:
		errs = append(errs, fmt.Errorf("stop burn: %v is above 1", p.stop))
	case p.stop > 0 && p.stop <= p.target:
		errs = append(errs, fmt.Errorf("stop burn: %v is not above the target burn %v", p.stop, p.target))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
}

// Run paces the engine as the [Pacer] doc says until ctx is done, then
// returns nil. It returns an error matching [ErrInvalid] at once for a
// nil window or an SLO or burn out of range, and [ErrRunning] when another
// Run is running.
func (p *Pacer) Run(ctx context.Context) error {
	if err := p.validate(); err != nil {
		return err
	}
	if !p.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer p.running.Store(false)
	p.stepMu.Lock()
	p.hist = make([]float64, p.span())
	p.gen = p.eng.Active().Generation
	p.set(0, PacerStatus{Armed: p.eng.Armed()})
	p.stepMu.Unlock()
	wait.Every(ctx, p.interval, func() { _, _ = p.Update() })
	return nil
}

// Update reads the window and sets the engine's rate scale once, as Run
// does every interval, and returns the scale it set. It suits a test, or a
// service that schedules pacing itself. The first Update of a pacer that is
// not running takes the scale in force as unknown, as Run does, and so sets
// no more than the first step from 0. It returns Run's error for a pacer
// that cannot run, and changes nothing then. It is safe to call while Run
// runs.
func (p *Pacer) Update() (float64, error) {
	if err := p.validate(); err != nil {
		return p.eng.RateScale(), err
	}
	p.stepMu.Lock()
	defer p.stepMu.Unlock()
	if p.hist == nil {
		p.hist = make([]float64, p.span())
		p.gen = p.eng.Active().Generation
	}
	return p.step(), nil
}

// Status returns what the pacer saw and set at its last interval.
func (p *Pacer) Status() PacerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// span is the number of intervals the window looks back over: its max
// age in intervals, rounded up, or 1 without a max age.
func (p *Pacer) span() int {
	age := p.w.MaxAge()
	if age <= 0 {
		return 1
	}
	return int(min((age+p.interval-1)/p.interval, maxSpan))
}

// maxSpan bounds the intervals a pacer looks back over.
const maxSpan = 1 << 12

// step reads the window, sets the scale and returns it. p.stepMu is held.
func (p *Pacer) step() float64 {
	a := p.eng.Active()
	s := PacerStatus{Armed: p.eng.Armed()}
	newPlan := a.Generation != p.gen
	p.gen = a.Generation
	if !s.Armed {
		return p.set(0, s)
	}
	st := p.w.Snapshot()
	s.Samples = st.Count
	if newPlan {
		clear(p.hist) // what the window shows says nothing of the new plan
	}
	if st.Count == 0 || st.Count < p.minSamples {
		return p.set(p.hist[len(p.hist)-1], s) // hold: 0 after a new plan
	}
	s.ErrorRatio = 1 - st.SuccessRatio
	budget := 1 - p.slo
	s.Burn = s.ErrorRatio / budget
	next := p.next(s.ErrorRatio, budget, slices.Min(p.hist))
	if p.stop > 0 && s.Burn >= p.stop {
		p.mu.Lock()
		p.status.Stops++
		p.mu.Unlock()
		if p.hist[len(p.hist)-1] > 0 {
			p.log.Warn("faultline: pacer cut the rate scale to 0: error budget burning too fast",
				"burn", s.Burn, "stop_burn", p.stop, "error_ratio", s.ErrorRatio, "slo", p.slo)
		}
	}
	if next == 1 && p.hist[len(p.hist)-1] < 1 {
		p.log.Info("faultline: pacer restored the full rate", "burn", s.Burn, "error_ratio", s.ErrorRatio, "slo", p.slo)
	}
	return p.set(next, s)
}

// next is the scale to set, given the error ratio seen, the error budget
// and the lowest scale in force over the window's span.
func (p *Pacer) next(errRatio, budget, lowest float64) float64 {
	burn := errRatio / budget
	switch {
	case p.stop > 0 && burn >= p.stop:
		return 0
	case lowest <= 0:
		// The window says nothing of what the faults add: add no more than
		// the target leaves, as if every call a fault is added to failed.
		return clamp01(p.target*budget - errRatio)
	case errRatio <= 0:
		return clamp01(lowest * Growth)
	default:
		return clamp01(lowest * min(p.target/burn, Growth))
	}
}

// set sets the engine's scale to v, records it with s, and returns v.
// p.stepMu is held.
func (p *Pacer) set(v float64, s PacerStatus) float64 {
	p.eng.SetRateScale(v)
	copy(p.hist, p.hist[1:])
	p.hist[len(p.hist)-1] = v
	s.Scale = v
	s.Updated = time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	s.Stops = p.status.Stops
	p.status = s
	return v
}

func clamp01(v float64) float64 {
	if !(v > 0) {
		return 0
	}
	return math.Min(v, 1)
}
