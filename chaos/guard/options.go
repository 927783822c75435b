package guard

import (
	"errors"
	"log/slog"
	"time"

	"github.com/faultline-go/faultline/probes"
)

// Defaults of the guard and the pacer. Every numeric option follows one
// rule: zero means the default, and a negative value turns the setting off
// where it can be off.
const (
	// DefaultInterval is how often a [Guard] checks its probes and a
	// [Pacer] reads its window.
	DefaultInterval = time.Second
	// DefaultTargetBurn is the burn rate a [Pacer] steers toward: half the
	// error budget, baseline and faults together.
	DefaultTargetBurn = 0.5
	// DefaultStopBurn is the burn rate at which a [Pacer] cuts the scale
	// to zero at once.
	DefaultStopBurn = 0.8
	// DefaultMinSamples is the fewest samples a [Pacer] judges.
	DefaultMinSamples = 100
	// Growth is the most a [Pacer] multiplies the scale by in one
	// interval.
	Growth = 2.0
)

var (
	// ErrRunning is returned by Run while another Run of the same Guard or
	// Pacer is running.
	ErrRunning = errors.New("guard: already running")
	// ErrInvalid is matched by the error Run returns at once for a Guard or
	// Pacer it cannot run: no probes, no window, an SLO or burn rate out of
	// range.
	ErrInvalid = errors.New("guard: invalid configuration")
)

// Option configures a [Guard] made by [New]. Only this package makes
// Options; [SharedOption] values are Options too.
type Option interface{ applyGuard(*Guard) }

// PacerOption configures a [Pacer] made by [NewPacer]. Only this package
// makes PacerOptions; [SharedOption] values are PacerOptions too.
type PacerOption interface{ applyPacer(*Pacer) }

// SharedOption configures a [Guard] or a [Pacer]: it is both an Option and
// a PacerOption.
type SharedOption interface {
	Option
	PacerOption
}

type guardOption func(*Guard)

func (f guardOption) applyGuard(g *Guard) { f(g) }

type pacerOption func(*Pacer)

func (f pacerOption) applyPacer(p *Pacer) { f(p) }

type sharedOption struct {
	g func(*Guard)
	p func(*Pacer)
}

func (o sharedOption) applyGuard(g *Guard) { o.g(g) }
func (o sharedOption) applyPacer(p *Pacer) { o.p(p) }

// WithProbe adds p to the probes a [Guard] checks every interval. Repeat it
// for more probes; they are checked at the same time, and the first one
// (in the order given) that fails is the one the kill switch's reason
// names. A nil p is ignored. A guard has no probes by default, and Run
// refuses to run without one.
func WithProbe(p probes.Probe) Option {
	return guardOption(func(g *Guard) {
		if p != nil {
			g.probes = append(g.probes, p)
		}
	})
}

// WithInterval sets how often a [Guard] checks its probes, or a [Pacer]
// reads its window and sets the engine's rate scale. The default, and what
// 0 means, is [DefaultInterval]; an interval cannot be off, so d < 0 means
// the default too.
func WithInterval(d time.Duration) SharedOption {
	set := func(dst *time.Duration) {
		if d > 0 {
			*dst = d
		}
	}
	return sharedOption{
		g: func(g *Guard) { set(&g.interval) },
		p: func(p *Pacer) { set(&p.interval) },
	}
}

// WithLogger makes a [Guard] log each trip (Warn, with the probe, what it
// observed, its value and threshold), and a [Pacer] log when it cuts the
// scale to zero (Warn) and when the scale is back to 1 (Info). By default,
// and when l is nil, they log nothing; Status still reports everything.
// The engine logs the kill switch itself, with its reason, to its own
// logger ([chaos.WithLogger]).
func WithLogger(l *slog.Logger) SharedOption {
	return sharedOption{
		g: func(g *Guard) { g.log = l },
		p: func(p *Pacer) { p.log = l },
	}
}

// WithTargetBurn sets the burn rate (error ratio over the error budget
// 1-SLO) a [Pacer] steers toward: it raises the scale while the window
// burns below b and lowers it while it burns above. The default, and what
// b <= 0 means, is [DefaultTargetBurn]. Run refuses a b above 1, or not
// below the stop burn.
func WithTargetBurn(b float64) PacerOption {
	return pacerOption(func(p *Pacer) {
		if b > 0 {
			p.target = b
		}
	})
}

// WithStopBurn sets the burn rate at or above which a [Pacer] cuts the
// scale to zero at once, whatever it was. The default, and what 0 means, is
// [DefaultStopBurn]; b < 0 turns the stop off, leaving the target burn
// alone to lower the scale. Run refuses a b above 1: the scale must be
// zero before the SLO is breached.
func WithStopBurn(b float64) PacerOption {
	return pacerOption(func(p *Pacer) {
		if b != 0 {
			p.stop = max(b, -1)
		}
	})
}

// WithMinSamples sets the fewest samples a [Pacer] judges: with fewer in
// the window it holds the scale where it is (and after a new plan, at
// zero). The default, and what 0 means, is [DefaultMinSamples]; n < 0
// turns the minimum off, so that any sample is judged.
func WithMinSamples(n int) PacerOption {
	return pacerOption(func(p *Pacer) {
		if n != 0 {
			p.minSamples = max(n, 1)
		}
	})
}
