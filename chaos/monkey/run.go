package monkey

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// Run follows the schedule from the time it is called until ctx is done,
// then returns nil. At each activation's start it applies the base plan
// plus the chosen rule (source "monkey#N"), and at its end the base plan
// alone (source "monkey") — unless this instance is not in the share, the
// kill switch is thrown, or the engine changed since the monkey's own
// apply (another plan, the kill switch); see the package doc. The rule also carries its TTL, so it stops firing
// on time even if Run is held up. When ctx is done during an activation,
// Run ends it before returning. A second Run while one is running returns
// [ErrRunning] at once.
func (m *Monkey) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer m.running.Store(false)
	m.mu.Lock()
	m.history = nil
	m.mu.Unlock()

	s := m.scheduler(time.Now())
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	sleepUntil := func(t time.Time) bool {
		timer.Reset(max(time.Until(t), 0))
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		}
	}
	for {
		a, ok := s.next()
		if !ok {
			<-ctx.Done()
			return nil
		}
		if !sleepUntil(a.Start) {
			return nil
		}
		mine, on := m.activate(&a)
		m.record(a)
		if m.cfg.onActivation != nil {
			m.cfg.onActivation(a)
		}
		if !on {
			continue
		}
		sleepUntil(a.End)
		m.deactivate(a, mine)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// activate applies a, and reports the engine generation its apply left
// and whether it did. The apply is a compare-and-swap on the generation
// read just before, so it fails, changing nothing, when the kill switch is
// thrown ([ErrDisabled]) or another applier got in between
// ([chaos.ErrConflict]).
func (m *Monkey) activate(a *Activation) (uint64, bool) {
	log := m.cfg.log.With("activation", a.N, "point", a.Rule.Point, "fault", a.Rule.Fault.String(), "end", a.End)
	if a.Skipped {
		log.Info("faultline: monkey activation skipped, instance not in the share")
		return 0, false
	}
	base := m.cfg.base
	p := chaos.Plan{Version: base.Version, Rules: append(slices.Clip(base.Rules), a.Rule)}
	label := "monkey#" + strconv.FormatUint(a.N, 10)
	gen := m.eng.Active().Generation
	if err := m.eng.Apply(p, chaos.FromSource(label), chaos.IfGeneration(gen)); err != nil {
		a.Err = err
		msg := "faultline: monkey activation refused"
		if errors.Is(err, ErrDisabled) || errors.Is(err, chaos.ErrConflict) {
			msg = "faultline: monkey activation skipped"
		}
		log.Warn(msg, "error", err)
		return 0, false
	}
	log.Info("faultline: monkey activation")
	return gen + 1, true
}

// deactivate puts the base plan back, if the engine is still at generation
// mine, the one activation a's apply left: the check and the apply are one
// step, so a kill switch thrown, or a plan applied, at any point after the
// activation stays as it is.
func (m *Monkey) deactivate(a Activation, mine uint64) {
	err := m.eng.Apply(m.cfg.base, chaos.FromSource("monkey"), chaos.IfGeneration(mine))
	switch {
	case err == nil:
		m.cfg.log.Info("faultline: monkey activation ended", "activation", a.N)
	case errors.Is(err, ErrDisabled) || errors.Is(err, chaos.ErrConflict):
		act := m.eng.Active()
		m.cfg.log.Info("faultline: monkey activation ended, engine left as another applier or the kill switch set it",
			"activation", a.N, "source", act.Source, "disabled", act.Disabled, "reason", act.DisabledReason, "error", err)
	default:
		// The base plan was applied before; a refusal now means the
		// policy changed under us. The rule's TTL still ends it.
		m.cfg.log.Warn("faultline: monkey could not restore the base plan", "activation", a.N, "error", err)
	}
}
