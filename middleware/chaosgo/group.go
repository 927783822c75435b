package chaosgo

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/faultline-go/faultline/chaos"
)

// Group runs goroutines that work on parts of one task, in the shape of
// golang.org/x/sync/errgroup: [Group.Wait] waits for them all and returns
// the first error. Unlike errgroup it turns a panic in any goroutine,
// injected or real, into that error (a [*PanicError]) instead of crashing
// the process, and [Group.GoPoint] starts a goroutine at a fault point.
//
// The zero Group is usable: it has no limit and does not cancel anything on
// error. A Group must not be copied after first use. Its methods are safe
// for concurrent use, except that [Group.Wait] must not race with the start
// of the group's first goroutines (as for [sync.WaitGroup]).
type Group struct {
	cancel context.CancelCauseFunc // nil for a zero Group
	wg     sync.WaitGroup
	slots  atomic.Pointer[chan struct{}] // nil: no limit
	once   sync.Once
	err    error // the first error, written under once
}

// WithContext returns a new Group and a context derived from ctx. The
// context is canceled, with the error as its cause, the first time a
// goroutine of the group fails, or else when [Group.Wait] returns.
func WithContext(ctx context.Context) (*Group, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	return &Group{cancel: cancel}, ctx
}

// SetLimit lets at most n goroutines of the group run at once: [Group.Go]
// and [Group.GoPoint] then wait for a free slot, and [Group.TryGo] and
// [Group.TryGoPoint] give up. Zero means the default, no limit, and so
// does a negative n. (errgroup differs here: its limit of 0 admits
// nothing.)
//
// The limit applies to goroutines started after the call; those already
// running keep the slots they took under the previous limit and do not
// count against the new one.
func (g *Group) SetLimit(n int) {
	if n <= 0 {
		g.slots.Store(nil)
		return
	}
	slots := make(chan struct{}, n)
	g.slots.Store(&slots)
}

// Go calls fn on a new goroutine, waiting first for a free slot if the
// group has a limit. The first non-nil error of a goroutine, or its panic as
// a [*PanicError], is what [Group.Wait] returns, and cancels the group's
// context.
func (g *Group) Go(fn func() error) {
	g.start(context.Background(), g.acquire(), "", chaos.Decision{}, fn)
}

// TryGo calls fn on a new goroutine only if the group has a free slot, and
// reports whether it did. Without a limit it always does.
func (g *Group) TryGo(fn func() error) bool {
	slots, ok := g.tryAcquire()
	if !ok {
		return false
	}
	g.start(context.Background(), slots, "", chaos.Decision{}, fn)
	return true
}

// GoPoint is [Group.Go] with fault point p: once a slot is free, p
// decides, on the caller's goroutine, and the new goroutine carries out
// the fault before fn runs, waiting on ctx for latency and hang (see the
// package documentation). Pass the group's context as ctx so that a
// delayed start gives up when the group fails; observers of p's engine see
// ctx. A start that a fault stops, and an injected panic, count as the
// goroutine's error. A nil p injects nothing, as [Group.Go].
func (g *Group) GoPoint(ctx context.Context, p *chaos.Point, fn func() error) {
	slots := g.acquire()
	g.start(ctx, slots, p.Name(), p.Decide(ctx), fn)
}

// TryGoPoint is [Group.TryGo] with fault point p, as [Group.GoPoint]: the
// point decides only if a slot is free.
func (g *Group) TryGoPoint(ctx context.Context, p *chaos.Point, fn func() error) bool {
	slots, ok := g.tryAcquire()
	if !ok {
		return false
	}
	g.start(ctx, slots, p.Name(), p.Decide(ctx), fn)
	return true
}

// Wait blocks until every goroutine started in the group has ended, cancels
// the group's context, and returns the first error, if any.
func (g *Group) Wait() error {
	g.wg.Wait()
	if g.cancel != nil {
		g.cancel(g.err)
	}
	return g.err
}

// acquire takes a slot under the current limit, waiting for one, and
// returns the channel to give it back to (nil without a limit).
func (g *Group) acquire() chan struct{} {
	p := g.slots.Load()
	if p == nil {
		return nil
	}
	*p <- struct{}{}
	return *p
}

// tryAcquire is acquire without waiting.
func (g *Group) tryAcquire() (chan struct{}, bool) {
	p := g.slots.Load()
	if p == nil {
		return nil, true
	}
	select {
	case *p <- struct{}{}:
		return *p, true
	default:
		return nil, false
	}
}

// start runs fn on a new goroutine that gives its slot back when it ends.
func (g *Group) start(ctx context.Context, slots chan struct{}, point string, d chaos.Decision, fn func() error) {
	g.wg.Add(1)
	go func() {
		err := ErrGoexit // unless run returns
		defer func() {
			if err != nil {
				g.fail(err)
			}
			if slots != nil {
				<-slots
			}
			g.wg.Done()
		}()
		err = run(ctx, point, d, fn)
	}()
}

// fail records err if it is the group's first, and cancels the context.
func (g *Group) fail(err error) {
	g.once.Do(func() {
		g.err = err
		if g.cancel != nil {
			g.cancel(err)
		}
	})
}
