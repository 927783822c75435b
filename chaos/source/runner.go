package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/wait"
)

// Runner applies what a [Source] yields to an engine. It is what a service
// runs in a goroutine next to its work:
//
//	r := source.NewRunner(engine, source.File("/etc/faultline/plan.json"))
//	go r.Run(ctx) // stops when ctx is done
//
// For each [Update] it receives, the runner:
//
//   - applies the plan with [chaos.Engine.Apply], recording the source as
//     "NAME@VERSION" ([chaos.FromSource]), so the engine's policy bounds it;
//   - skips a plan equal to the one it applied last while that plan is
//     still the engine's active one (counted as unchanged), so the counts
//     of the active plan's rules do not restart; once anything else has
//     changed the engine (an Apply, the kill switch, a re-arm), the next
//     update applies again even if its plan did not change;
//   - keeps the active plan when the update carries an error or the engine
//     refuses the plan, logging the error and counting it as failed or
//     refused;
//   - on an error matching [ErrStale], the fail-safe, applies the zero
//     plan (source "NAME@stale"), which switches every fault off; should
//     the engine refuse even that, it throws the kill switch.
//
// The runner never undoes the kill switch. While it is thrown
// ([chaos.Engine.Disable]) every Apply fails with [chaos.ErrDisabled]:
// the runner then counts the update as held, logs that once per version,
// and keeps the plan until a person re-arms the engine
// ([chaos.Engine.Rearm]). It looks at the kill switch every
// [WithRearmCheck] (default [DefaultRearmCheck]), so that after a re-arm
// the source's current plan (or, after the fail-safe, the empty plan)
// applies at once, even when the source has nothing new to yield.
//
// A Runner is safe for concurrent use: Status may be called while Run runs.
// It runs one Run at a time.
type Runner struct {
	eng        *chaos.Engine
	src        Source
	log        *slog.Logger
	onUpdate   func(RunnerStatus)
	rearmCheck time.Duration // < 0: no check
	running    atomic.Bool

	// step serialises the handling of updates and of the kill switch
	// checks, with their calls to onUpdate, and guards what follows it.
	step       sync.Mutex
	want       wanted     // the plan the source asks for
	last       chaos.Plan // the plan this runner applied last
	lastGen    uint64     // the engine's generation that apply produced
	hasLast    bool
	heldLogged bool   // a hold was logged, for heldVer
	heldVer    string // the version whose hold was logged

	mu     sync.Mutex // guards status
	status RunnerStatus
}

// wanted is the plan the source asks for: its last good plan, or the zero
// plan after the fail-safe.
type wanted struct {
	ok      bool // the source has asked for something
	stale   bool // the fail-safe's zero plan
	plan    chaos.Plan
	version string
}

// label is the version recorded for w.
func (w wanted) label() string {
	if w.stale {
		return "stale"
	}
	return w.version
}

// NewRunner returns a runner that applies what src yields to e. A nil e
// means [chaos.Default]().
func NewRunner(e *chaos.Engine, src Source, opts ...RunnerOption) *Runner {
	if e == nil {
		e = chaos.Default()
	}
	r := &Runner{eng: e, src: src, rearmCheck: DefaultRearmCheck}
	for _, o := range opts {
		o.applyRunner(r)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if src != nil {
		r.status.Source = src.Name()
	}
	return r
}

// Run watches the source and applies what it yields until ctx is done,
// then returns nil. It returns early when the source's Watch returns: with
// nil for a one-shot source such as [Env] once its plan is applied, or
// with the source's error, wrapped. Run returns only after everything it
// started has stopped, so it suits a lifecycle hook that cancels ctx and
// waits. A second Run while one is running returns [ErrRunning] at once.
func (r *Runner) Run(ctx context.Context) error {
	if r.src == nil {
		return errors.New("source: runner has no source")
	}
	if !r.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer r.running.Store(false)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if r.rearmCheck > 0 {
		wg.Go(func() { r.watchKillSwitch(wctx) })
	}
	err := r.src.Watch(wctx, func(u Update) {
		r.step.Lock()
		defer r.step.Unlock()
		if wctx.Err() != nil {
			return
		}
		r.notify(r.handle(u))
	})
	cancel()
	wg.Wait()
	if err != nil && !(ctx.Err() != nil && errors.Is(err, ctx.Err())) {
		return fmt.Errorf("source: watching %s: %w", r.src.Name(), err)
	}
	return nil
}

// Status returns a snapshot of what the runner did.
func (r *Runner) Status() RunnerStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *Runner) setStatus(s RunnerStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = s
}

// notify calls onUpdate. r.step is held.
func (r *Runner) notify(s RunnerStatus) {
	if r.onUpdate != nil {
		r.onUpdate(s)
	}
}

// watchKillSwitch looks at the engine's kill switch every r.rearmCheck
// until ctx is done.
func (r *Runner) watchKillSwitch(ctx context.Context) {
	wait.Every(ctx, r.rearmCheck, func() {
		r.step.Lock()
		defer r.step.Unlock()
		if ctx.Err() == nil {
			if s, changed := r.checkKillSwitch(); changed {
				r.notify(s)
			}
		}
	})
}

// checkKillSwitch notes a kill switch thrown since the last update, and
// applies the wanted plan again once the engine is re-armed. It reports
// whether the status changed. r.step is held.
func (r *Runner) checkKillSwitch() (RunnerStatus, bool) {
	if !r.want.ok {
		return RunnerStatus{}, false
	}
	s := r.Status()
	switch killed := r.eng.Disabled(); {
	case killed && !s.Holding:
		s.Holding = true
		r.logHeld(s.Source, r.want.label())
	case !killed && s.Holding:
		r.put(&s, time.Now())
	default:
		return s, false
	}
	r.setStatus(s)
	return s, true
}

// handle acts on one update, as the Runner doc says, and returns the new
// status. r.step is held.
func (r *Runner) handle(u Update) RunnerStatus {
	s := r.Status()
	now := time.Now()
	switch {
	case errors.Is(u.Err, ErrStale):
		s.Failed++
		s.setErr(u.Err, now)
		s.Stale = true
		r.log.Warn("faultline: plan source stale, switching faults off", "source", s.Source, "error", u.Err)
		r.want = wanted{ok: true, stale: true}
		r.put(&s, now)
	case u.Err != nil:
		s.Failed++
		s.setErr(u.Err, now)
		r.log.Warn("faultline: plan source failed, keeping the last good plan", "source", s.Source, "error", u.Err)
	default:
		s.Stale = false
		s.Err, s.ErrAt = nil, time.Time{}
		prev := r.want
		r.want = wanted{ok: true, plan: u.Plan, version: u.Version}
		switch {
		case r.isActive(u.Plan):
			s.Unchanged++
		case !r.put(&s, now):
			r.want = prev // refused: the last good plan stays wanted
		}
	}
	r.setStatus(s)
	return s
}

// isActive reports whether p is the plan this runner applied last and
// nothing has changed the engine since. r.step is held.
func (r *Runner) isActive(p chaos.Plan) bool {
	if !r.hasLast || !p.Equal(r.last) {
		return false
	}
	a := r.eng.Active()
	return !a.Disabled && a.Generation == r.lastGen
}

// put applies the wanted plan and records the outcome in s. It reports
// false when the engine refused the plan (the kill switch aside). r.step
// is held.
func (r *Runner) put(s *RunnerStatus, now time.Time) bool {
	w := r.want
	label := s.Source
	if v := w.label(); v != "" {
		label += "@" + v
	}
	gen, err := r.apply(w.plan, label)
	switch {
	case err == nil:
		r.last, r.lastGen, r.hasLast = w.plan, gen, true
		r.heldLogged = false
		s.Version, s.AppliedAt, s.Holding = w.label(), now, false
		if !w.stale {
			s.Applied++
			r.log.Info("faultline: plan applied from source", "source", s.Source, "version", w.version, "rules", len(w.plan.Rules), "plan", planText(w.plan))
		}
		return true
	case errors.Is(err, chaos.ErrDisabled):
		// The kill switch holds every fault off, the fail-safe's aim
		// included: the plan waits for a re-arm.
		s.Holding = true
		if !w.stale {
			s.Held++
		}
		r.logHeld(s.Source, w.label())
		return true
	case w.stale:
		r.log.Warn("faultline: engine refused the empty plan, throwing the kill switch", "source", s.Source, "error", err)
		r.eng.Disable("source " + s.Source + ": fail-safe: engine refused the empty plan")
		s.Holding = true
		return true
	default:
		s.Refused++
		s.Holding = false
		s.setErr(err, now)
		r.log.Warn("faultline: plan refused, keeping the last good plan", "source", s.Source, "version", w.version, "error", err)
		return false
	}
}

// maxApplyTries bounds the Applies lost to changes made by others between
// reading the engine's generation and applying.
const maxApplyTries = 8

// apply applies p to the engine only if nothing changes the engine in
// between, and returns the generation that leaves it at.
func (r *Runner) apply(p chaos.Plan, label string) (gen uint64, err error) {
	for range maxApplyTries {
		gen = r.eng.Active().Generation
		err = r.eng.Apply(p, chaos.FromSource(label), chaos.IfGeneration(gen))
		if !errors.Is(err, chaos.ErrConflict) {
			return gen + 1, err
		}
	}
	return 0, err
}

// logHeld logs, once per version, that the kill switch holds the plan.
// r.step is held.
func (r *Runner) logHeld(src, version string) {
	if r.heldLogged && r.heldVer == version {
		return
	}
	r.heldLogged, r.heldVer = true, version
	r.log.Info("faultline: kill switch thrown, holding the plan until the engine is re-armed", "source", src, "version", version)
}

// maxLoggedPlan bounds the plan text a log line carries, in bytes.
const maxLoggedPlan = 1024

// planText returns p in text form, cut to maxLoggedPlan bytes.
func planText(p chaos.Plan) string {
	s := p.String()
	if len(s) <= maxLoggedPlan {
		return s
	}
	cut := maxLoggedPlan
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

// RunnerStatus is what a [Runner] did: where its last plan came from, what is
// wrong now, and how many updates it applied, skipped, held or kept out.
type RunnerStatus struct {
	// Source is the source's name.
	Source string
	// Version is the version of the plan applied last ("stale" after the
	// fail-safe); empty until one is.
	Version string
	// AppliedAt is when that plan was applied; zero until one is.
	AppliedAt time.Time
	// Stale reports that the fail-safe switched every fault off and no
	// good update has come since.
	Stale bool
	// Holding reports that the engine's kill switch keeps the source's
	// plan out: it applies once a person re-arms the engine. It is as
	// the runner last saw the kill switch (see [WithRearmCheck]).
	Holding bool
	// Err is what is wrong now: the last update's error, or the engine's
	// refusal of its plan. A later good update clears it; LastErr keeps
	// it.
	Err error
	// ErrAt is when Err happened; zero when Err is nil.
	ErrAt time.Time
	// LastErr is the last error there was, kept after later good
	// updates; nil if none was.
	LastErr error
	// LastErrAt is when LastErr happened; zero if none did.
	LastErrAt time.Time
	// Applied counts the plans applied.
	Applied uint64
	// Unchanged counts the plans skipped because they equal the one
	// applied last, which was still active.
	Unchanged uint64
	// Held counts the plans the kill switch kept out.
	Held uint64
	// Failed counts the updates that carried an error, the fail-safe's
	// included.
	Failed uint64
	// Refused counts the plans the engine refused: invalid, or outside its
	// policy.
	Refused uint64
}

// setErr records err, which happened at t, as the current error and the
// last one.
func (s *RunnerStatus) setErr(err error, t time.Time) {
	s.Err, s.ErrAt = err, t
	s.LastErr, s.LastErrAt = err, t
}

// MarshalJSON encodes the status as an object with snake_case keys, the
// errors as their text.
func (s RunnerStatus) MarshalJSON() ([]byte, error) {
	text := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	return json.Marshal(struct {
		Source    string    `json:"source"`
		Version   string    `json:"version,omitempty"`
		AppliedAt time.Time `json:"applied_at"`
		Stale     bool      `json:"stale,omitempty"`
		Holding   bool      `json:"holding,omitempty"`
		Err       string    `json:"error,omitempty"`
		ErrAt     time.Time `json:"error_at"`
		LastErr   string    `json:"last_error,omitempty"`
		LastErrAt time.Time `json:"last_error_at"`
		Applied   uint64    `json:"applied"`
		Unchanged uint64    `json:"unchanged"`
		Held      uint64    `json:"held"`
		Failed    uint64    `json:"failed"`
		Refused   uint64    `json:"refused"`
	}{s.Source, s.Version, s.AppliedAt, s.Stale, s.Holding, text(s.Err), s.ErrAt, text(s.LastErr), s.LastErrAt,
		s.Applied, s.Unchanged, s.Held, s.Failed, s.Refused})
}
