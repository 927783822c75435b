package chaos

import (
	"sync"
	"time"
)

// killSignal is closed when the kill switch is thrown, which ends every
// latency and hang fault that is waiting.
type killSignal struct {
	ch   chan struct{}
	once sync.Once
}

func (s *killSignal) fire() { s.once.Do(func() { close(s.ch) }) }

// killRecord is the kill switch as of generation gen.
type killRecord struct {
	gen uint64
	KillSwitch
}

// KillSwitch is the state of an engine's kill switch, as [Engine.Active]
// reports it.
type KillSwitch struct {
	// Disabled reports that the kill switch is thrown, so nothing fires
	// and nothing applies until [Engine.Rearm].
	Disabled bool `json:"disabled,omitempty"`
	// DisabledReason is the reason given to the last [Engine.Disable].
	DisabledReason string `json:"disabled_reason,omitempty"`
	// DisabledAt is when the kill switch was last thrown; zero if never.
	DisabledAt time.Time `json:"disabled_at,omitzero"`
	// RearmedBy names who last re-armed the engine ([Engine.Rearm]).
	RearmedBy string `json:"rearmed_by,omitempty"`
	// RearmedAt is when the engine was last re-armed; zero if never.
	RearmedAt time.Time `json:"rearmed_at,omitzero"`
}

// Disable is the kill switch. It ends every fault at once: nothing fires
// after it returns, and latency and hang faults that are waiting return
// nil (the call goes on as if no fault had fired). Then nothing applies
// ([Engine.Apply] returns [ErrDisabled]) until a person calls
// [Engine.Rearm]. reason says who threw it and why, as in "admin: alice"
// or "guard: error rate 12% over 5%"; it is kept in [Active] and logged.
//
// Disable never waits: not for an Apply in progress, nor for Stats, nor
// for a blocked observer. Calling it again updates the reason.
func (e *Engine) Disable(reason string) {
	now := time.Now()
	e.killMu.Lock()
	e.killed.Store(true)
	gen := e.gen.Add(1)
	e.armed.Store(false)
	rec := killRecord{gen: gen}
	if old := e.killInfo.Load(); old != nil {
		rec.KillSwitch = old.KillSwitch
	}
	rec.Disabled, rec.DisabledReason, rec.DisabledAt = true, reason, now
	e.killInfo.Store(&rec)
	e.signal().fire()
	e.killMu.Unlock()
	e.log().Warn("faultline: kill switch thrown, all faults disabled", "reason", reason)
}

// Rearm turns the kill switch off, so that plans apply again; by names who
// did it (a person, as in "admin: alice"), which [Active] keeps and the
// log records. It applies no plan itself: the plan that was killed stays
// off, and sources apply theirs on their next update. Rearm on an engine
// whose kill switch is not thrown does nothing.
func (e *Engine) Rearm(by string) {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	if !e.killed.Load() {
		return
	}
	now := time.Now()
	e.install(&Active{Generation: e.gen.Load()}, nil)
	e.killMu.Lock()
	e.kill.Store(&killSignal{ch: make(chan struct{})})
	rec := killRecord{gen: e.gen.Add(1)}
	if old := e.killInfo.Load(); old != nil {
		rec.KillSwitch = old.KillSwitch
	}
	rec.Disabled, rec.RearmedBy, rec.RearmedAt = false, by, now
	e.killInfo.Store(&rec)
	e.killed.Store(false)
	e.killMu.Unlock()
	e.log().Warn("faultline: kill switch re-armed", "by", by)
}

// signal returns the kill signal that the next Disable fires.
func (e *Engine) signal() *killSignal {
	if s := e.kill.Load(); s != nil {
		return s
	}
	e.kill.CompareAndSwap(nil, &killSignal{ch: make(chan struct{})})
	return e.kill.Load()
}

// Disabled reports whether the kill switch is thrown. It is one atomic
// load and tells the truth at every moment.
func (e *Engine) Disabled() bool { return e.killed.Load() }
