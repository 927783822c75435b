package chaos

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/faults"
)

// pause blocks a call at p until [Point.Release], the kill switch or the
// end of ctx, for at most d. It returns nil when released or killed,
// ctx.Err() when ctx ends, and err when d passes.
func (p *Point) pause(ctx context.Context, d time.Duration, err *faults.InjectedError) error {
	// The gate is loaded before the call counts as paused: a Release that
	// a caller makes after seeing Paused() go up closes this gate.
	g := p.loadGate()
	p.paused.Add(1)
	defer p.paused.Add(-1)
	kill := p.eng.signal().ch
	switch {
	case p.eng.killed.Load():
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-g:
		return nil
	case <-kill:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return err
	}
}

// loadGate returns the channel the next Release closes.
func (p *Point) loadGate() chan struct{} {
	if g := p.gate.Load(); g != nil {
		return *g
	}
	g := make(chan struct{})
	p.gate.CompareAndSwap(nil, &g)
	return *p.gate.Load()
}

// Release lets every call paused at the point by a pause fault go on now:
// each returns nil from Inject. Calls that pause after Release wait for
// the next one. With [Point.Paused] a test holds one goroutine at a point
// and drives a race deterministically:
//
//	go func() { done <- p.Inject(ctx) }()
//	for p.Paused() == 0 { runtime.Gosched() } // or synctest.Wait()
//	// … do what must happen while the call is held …
//	p.Release()
//
// Release on a nil point, or with no call paused, does nothing. It is
// safe for concurrent use.
func (p *Point) Release() {
	if p == nil {
		return
	}
	next := make(chan struct{})
	if old := p.gate.Swap(&next); old != nil {
		close(*old)
	}
}

// Paused returns how many calls are paused at the point now, waiting for
// [Point.Release]; 0 for a nil point.
func (p *Point) Paused() int {
	if p == nil {
		return 0
	}
	return int(p.paused.Load())
}

// InjectContext is [Point.Inject] for code that hands its context on: it
// evaluates the point once and returns the context the rest of the call
// should use with Inject's error. A squeeze fault returns ctx with a
// deadline at most its duration from now (see [Decision.Context]) and a
// nil error, so the call goes on with less time, as it would under a
// shorter timeout upstream; every other kind returns ctx unchanged and
// does what Inject does. While nothing fires it returns ctx and nil,
// at the cost of Inject.
func (p *Point) InjectContext(ctx context.Context) (_ context.Context, err error) {
	// Small enough to inline (TestHotPathInlines), as Inject is.
	if p != nil && atomic.LoadPointer(&p.binding) != nil {
		ctx, err = p.injectContext(ctx)
	}
	return ctx, err
}

// injectContext is the armed path of InjectContext.
func (p *Point) injectContext(ctx context.Context) (context.Context, error) {
	b := p.loadBinding()
	if b == nil {
		return ctx, nil // disarmed since InjectContext looked
	}
	d := b.decide(ctx, nil)
	if d.Kind() == faults.KindSqueeze {
		return d.Context(ctx), nil
	}
	return ctx, d.Inject(ctx)
}
