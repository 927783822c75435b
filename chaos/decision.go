package chaos

import (
	"context"
	"time"

	"github.com/faultline-go/faultline/faults"
)

// Decision is what a point decided for one call. The zero Decision is
// "nothing fires". Decisions are small values, safe to copy.
type Decision struct {
	point *Point
	alt   *alt
	err   *faults.InjectedError
	delay time.Duration
	rule  int
	seq   uint64
}

// Fired reports whether a fault fires.
func (d Decision) Fired() bool { return d.alt != nil }

// Fault returns the fault that fires, or the zero Fault. For a rule with
// choices it is the choice picked.
func (d Decision) Fault() faults.Fault {
	if d.alt == nil {
		return faults.Fault{}
	}
	return d.alt.fault
}

// Kind returns the kind of the fault that fires, or faults.KindNone.
func (d Decision) Kind() faults.Kind {
	if d.alt == nil {
		return faults.KindNone
	}
	return d.alt.fault.Kind
}

// Err returns the injected error for this fault (matching
// faults.ErrInjected), or nil when nothing fires. Middleware returns it
// for kinds it does not apply itself.
func (d Decision) Err() error {
	if d.err == nil {
		return nil
	}
	return d.err
}

// Delay returns how long a latency fault waits (jitter included, or as
// drawn from its distribution), how long a hang or pause fault blocks at
// most, or the deadline a squeeze fault sets, from now; 0 for other kinds.
func (d Decision) Delay() time.Duration { return d.delay }

// Rule returns the index in the plan of the rule that fired, or -1.
func (d Decision) Rule() int {
	if d.alt == nil {
		return -1
	}
	return d.rule
}

// Seq returns the sequence number of the call at its point since the plan
// was applied, counting from 1; 0 when nothing fires.
func (d Decision) Seq() uint64 { return d.seq }

// Point returns the name of the point that decided, or "".
func (d Decision) Point() string { return d.point.Name() }

// Inject carries out the decision as [Point.Inject] does, and returns nil
// when nothing fires. A custom fault's function runs here; [Decision.Err]
// does not run it.
func (d Decision) Inject(ctx context.Context) error {
	if d.alt == nil {
		return nil
	}
	return d.point.apply(ctx, d.alt, d.delay, d.err)
}

// Context returns the context the call should go on with: for a squeeze
// fault, ctx with a deadline at most [Decision.Delay] from now, or
// canceled at once for a Delay of 0 ("cancel"), whose [context.Cause] is
// the decision's injected error (matching faults.ErrInjected and
// context.DeadlineExceeded or context.Canceled); ctx itself for every
// other decision, when ctx already ends sooner, or once the kill switch is
// thrown. There is no cancel function to call: the squeezed context
// releases its timer at its deadline, at most Delay after the call.
func (d Decision) Context(ctx context.Context) context.Context {
	if d.alt == nil || d.alt.fault.Kind != faults.KindSqueeze || d.point.eng.killed.Load() {
		return ctx
	}
	if d.delay <= 0 {
		c, cancel := context.WithCancelCause(ctx)
		cancel(d.err)
		return c
	}
	at := time.Now().Add(d.delay)
	if dl, ok := ctx.Deadline(); ok && !dl.After(at) {
		return ctx
	}
	c, cancel := context.WithDeadlineCause(ctx, at, d.err)
	_ = cancel // released by the deadline, at most d.delay from now
	return c
}
