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

	"github.com/faultline-go/faultline/chaos"
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
//   - skips a plan equal to the one it applied last (counted as
//     unchanged), so the counts of the active plan's rules do not restart
//     and a kill switch thrown by hand holds until the document changes;
//   - keeps the active plan when the update carries an error or the engine
//     refuses the plan, logging the error and counting it as failed or
//     refused;
//   - on an error matching [ErrStale], the fail-safe, applies the zero
//     plan (source "NAME@stale"), which switches every fault off; should
//     the engine refuse even that, it throws the kill switch.
//
// A Runner is safe for concurrent use: Status may be called while Run runs.
// It runs one Run at a time.
type Runner struct {
	eng      *chaos.Engine
	src      Source
	log      *slog.Logger
	onUpdate func(Status)
	running  atomic.Bool

	mu      sync.Mutex
	status  Status
	last    chaos.Plan // the plan this runner applied last
	hasLast bool
}

// NewRunner returns a runner that applies what src yields to e. A nil e
// means [chaos.Default]().
func NewRunner(e *chaos.Engine, src Source, opts ...RunnerOption) *Runner {
	if e == nil {
		e = chaos.Default()
	}
	r := &Runner{eng: e, src: src}
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
	err := r.src.Watch(ctx, func(u Update) {
		if ctx.Err() != nil {
			return
		}
		st := r.apply(u)
		if r.onUpdate != nil {
			r.onUpdate(st)
		}
	})
	if err != nil && !(ctx.Err() != nil && errors.Is(err, ctx.Err())) {
		return fmt.Errorf("source: watching %s: %w", r.src.Name(), err)
	}
	return nil
}

// Status returns a snapshot of what the runner did.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// apply acts on one update, as the Runner doc says, and returns the new
// status.
func (r *Runner) apply(u Update) Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handle(u)
	return r.status
}

// handle acts on one update. r.mu is held.
func (r *Runner) handle(u Update) {
	s := &r.status
	now := time.Now()
	switch {
	case errors.Is(u.Err, ErrStale):
		s.Failed++
		s.Err, s.ErrAt = u.Err, now
		r.log.Warn("faultline: plan source stale, switching faults off", "source", s.Source, "error", u.Err)
		if err := r.eng.Apply(chaos.Plan{}, chaos.FromSource(s.Source+"@stale")); err != nil {
			r.log.Warn("faultline: engine refused the empty plan, throwing the kill switch", "source", s.Source, "error", err)
			r.eng.Disable()
		}
		s.Stale, s.Version, s.AppliedAt = true, "stale", now
		r.last, r.hasLast = chaos.Plan{}, true
		return
	case u.Err != nil:
		s.Failed++
		s.Err, s.ErrAt = u.Err, now
		r.log.Warn("faultline: plan source failed, keeping the last good plan", "source", s.Source, "error", u.Err)
		return
	}
	s.Stale = false
	if r.hasLast && u.Plan.Equal(r.last) {
		s.Unchanged++
		return
	}
	label := s.Source
	if u.Version != "" {
		label += "@" + u.Version
	}
	if err := r.eng.Apply(u.Plan, chaos.FromSource(label)); err != nil {
		s.Refused++
		s.Err, s.ErrAt = err, now
		r.log.Warn("faultline: plan refused, keeping the last good plan", "source", s.Source, "version", u.Version, "error", err)
		return
	}
	s.Applied++
	s.Version, s.AppliedAt = u.Version, now
	r.last, r.hasLast = u.Plan, true
	// The engine logs the change itself at Info; this adds the runner's view.
	r.log.Debug("faultline: plan applied from source", "source", s.Source, "version", u.Version, "rules", len(u.Plan.Rules))
}

// Status is what a [Runner] did: where its last plan came from, and how
// many updates it applied, skipped, or kept out.
type Status struct {
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
	// Err is the last error: an update's own, or the engine's refusal. It
	// stays after later good updates; compare ErrAt with AppliedAt.
	Err error
	// ErrAt is when Err happened; zero if none did.
	ErrAt time.Time
	// Applied counts the plans applied.
	Applied uint64
	// Unchanged counts the plans skipped because they equal the one
	// applied last.
	Unchanged uint64
	// Failed counts the updates that carried an error, the fail-safe's
	// included.
	Failed uint64
	// Refused counts the plans the engine refused: invalid, or outside its
	// policy.
	Refused uint64
}

// MarshalJSON encodes the status as an object with snake_case keys, the
// error as its text.
func (s Status) MarshalJSON() ([]byte, error) {
	var errText string
	if s.Err != nil {
		errText = s.Err.Error()
	}
	return json.Marshal(struct {
		Source    string    `json:"source"`
		Version   string    `json:"version,omitempty"`
		AppliedAt time.Time `json:"applied_at"`
		Stale     bool      `json:"stale,omitempty"`
		Err       string    `json:"error,omitempty"`
		ErrAt     time.Time `json:"error_at"`
		Applied   uint64    `json:"applied"`
		Unchanged uint64    `json:"unchanged"`
		Failed    uint64    `json:"failed"`
		Refused   uint64    `json:"refused"`
	}{s.Source, s.Version, s.AppliedAt, s.Stale, errText, s.ErrAt, s.Applied, s.Unchanged, s.Failed, s.Refused})
}
