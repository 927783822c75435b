package guard

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/wait"
	"github.com/faultline-go/faultline/probes"
)

// Guard watches the service while faults are on, whoever turned them on,
// and throws the engine's kill switch when a probe fails. It is what a
// service runs in a goroutine next to its plan sources:
//
//	g := guard.New(engine, guard.WithProbe(window.SuccessRatioAtLeast("checkout ≥ 99%", 0.99, 50)))
//	go g.Run(ctx) // stops when ctx is done
//
// Every interval (default [DefaultInterval]), while the engine is armed
// ([chaos.Engine.Armed]: a plan with rules is on and the kill switch is not
// thrown), the guard checks every probe at once. When one fails it calls
// [chaos.Engine.Disable] with the reason "guard: PROBE: OBSERVED", as in
//
//	guard: checkout ≥ 99%: success ratio 0.8 over 100 calls, 80 ok (want >= 0.99)
//
// so that the engine's [chaos.Active], the admin page and the engine's log
// say which probe tripped, what it measured and what it wanted. Status keeps
// the whole [probes.Result], with its Value and Threshold.
//
// While nothing is armed the guard checks nothing (it counts the round as
// skipped): it bounds the blast radius of faults, and a service that is
// unhealthy with no fault on is a matter for its own alerts. Throwing the
// switch then would only hold back the next plan until a person re-arms.
// A plan applied to an unhealthy service is checked, and killed, at the
// guard's next round.
//
// The guard never re-arms the engine, and never overwrites the reason of a
// kill switch someone else threw: when it finds the switch thrown it does
// nothing. A probe that cannot be checked (it times out, its window is
// nil) fails, and trips the guard like any other failure; a window probe
// without enough data passes.
//
// A Guard is safe for concurrent use: Status may be called while Run runs.
// It runs one Run at a time.
type Guard struct {
	eng      *chaos.Engine
	probes   []probes.Probe
	interval time.Duration
	log      *slog.Logger
	running  atomic.Bool

	mu     sync.Mutex // guards status
	status Status
}

// Status is what a [Guard] did: its checks, and the last time it threw the
// kill switch. It is plain data.
type Status struct {
	// Checks counts the rounds of checks made while faults were armed.
	Checks uint64 `json:"checks"`
	// Skipped counts the rounds skipped because nothing was armed.
	Skipped uint64 `json:"skipped"`
	// LastCheck is when the last round of checks ended; zero before the
	// first.
	LastCheck time.Time `json:"last_check"`
	// Results are the last round's results, in the order of the probes.
	Results []probes.Result `json:"results,omitempty"`
	// Trips counts the times the guard threw the kill switch.
	Trips uint64 `json:"trips"`
	// LastTrip is the last time the guard threw the kill switch; its At
	// is zero if it never has.
	LastTrip Trip `json:"last_trip"`
}

// Trip is one time a [Guard] threw the kill switch.
type Trip struct {
	// At is when the guard threw the switch.
	At time.Time `json:"at"`
	// Reason is the reason given to [chaos.Engine.Disable].
	Reason string `json:"reason,omitempty"`
	// Breach is the failed check that tripped the guard: the probe, what
	// it observed, and its Value and Threshold.
	Breach probes.Result `json:"breach"`
}

// New returns a guard of engine e. A nil e means [chaos.Default](). Give it
// at least one probe with [WithProbe].
func New(e *chaos.Engine, opts ...Option) *Guard {
	if e == nil {
		e = chaos.Default()
	}
	g := &Guard{eng: e, interval: DefaultInterval}
	for _, o := range opts {
		o.applyGuard(g)
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	return g
}

// Run checks the probes at once and then every interval, throwing the
// kill switch on a failure as the [Guard] doc says, until ctx is done; then
// it returns nil. It returns an error matching [ErrInvalid] at once when
// the guard has no probe, and [ErrRunning] when another Run is running.
// Run returns only after every check it started has returned, so probes
// must respect their ctx; it suits a lifecycle hook that cancels ctx and
// waits.
func (g *Guard) Run(ctx context.Context) error {
	if len(g.probes) == 0 {
		return fmt.Errorf("%w: no probes", ErrInvalid)
	}
	if !g.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer g.running.Store(false)
	g.Check(ctx)
	wait.Every(ctx, g.interval, func() { g.Check(ctx) })
	return nil
}

// Check makes one round of checks now, as Run does every interval, and
// reports whether it threw the kill switch. It suits a test, or a service
// that schedules its checks itself. While nothing is armed it checks
// nothing; when ctx is done before the checks end, it judges nothing. It is
// safe to call while Run runs.
func (g *Guard) Check(ctx context.Context) (tripped bool) {
	return g.round(ctx)
}

// Status returns a snapshot of what the guard did.
func (g *Guard) Status() Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.status
	s.Results = slices.Clone(s.Results)
	return s
}

// round makes one round of checks, and throws the kill switch if a probe
// failed and the switch is not thrown already.
func (g *Guard) round(ctx context.Context) bool {
	if !g.eng.Armed() || len(g.probes) == 0 {
		g.mu.Lock()
		g.status.Skipped++
		g.mu.Unlock()
		return false
	}
	results := make([]probes.Result, len(g.probes))
	var wg sync.WaitGroup
	for i, p := range g.probes {
		wg.Go(func() { results[i] = p.Check(ctx) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return false // the checks were cut short by Run ending, not by the service
	}
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.status.Checks++
	g.status.LastCheck = now
	g.status.Results = results
	i := slices.IndexFunc(results, func(r probes.Result) bool { return !r.OK })
	if i < 0 || g.eng.Disabled() {
		return false
	}
	r := results[i]
	reason := tripReason(r)
	g.eng.Disable(reason)
	g.status.Trips++
	g.status.LastTrip = Trip{At: now, Reason: reason, Breach: r}
	g.log.Warn("faultline: guard threw the kill switch", "probe", r.Probe, "observed", r.Observed,
		"metric", r.Metric, "value", r.Value, "threshold", r.Threshold, "unit", r.Unit, "error", r.Err)
	return true
}

// tripReason is the kill switch's reason for the failed check r: the probe
// and what it observed, with the error when Observed does not show what
// the probe wanted.
func tripReason(r probes.Result) string {
	s := "guard: " + r.Probe + ": " + r.Observed
	if r.Err != "" && !strings.Contains(r.Observed, "(want ") {
		s += ": " + r.Err
	}
	return s
}
