package resilience

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrBulkheadFull is returned without running op when a [Bulkhead] has no free
// slot and none frees up within its [WithMaxWait].
var ErrBulkheadFull = errors.New("resilience: bulkhead is full")

// Bulkhead is a [Strategy] that bounds how many calls run at once, so that one
// slow dependency cannot take every goroutine or connection of the service.
// A call over the limit waits up to its [WithMaxWait] for a slot (none by
// default) and then fails with [ErrBulkheadFull] without running op.
//
// The slots are a buffered channel used as a semaphore: a call that gets a
// slot at once costs a channel send and receive, and no allocation. A Bulkhead
// is safe for concurrent use and meant to be shared by every call it guards.
// A nil or zero Bulkhead lets every call through.
type Bulkhead struct {
	slots   chan struct{}
	maxWait time.Duration
}

// BulkheadOption configures [NewBulkhead].
type BulkheadOption interface {
	apply(*Bulkhead)
}

type bulkheadOptionFunc func(*Bulkhead)

func (f bulkheadOptionFunc) apply(b *Bulkhead) { f(b) }

// WithMaxWait lets a call over the limit wait up to d for a slot before
// failing with [ErrBulkheadFull]; it also stops waiting when its context
// ends. Without the option, or with d == 0, the default holds: no wait,
// such a call fails at once; a negative d means no wait too.
func WithMaxWait(d time.Duration) BulkheadOption {
	return bulkheadOptionFunc(func(b *Bulkhead) { b.maxWait = max(d, 0) })
}

// NewBulkhead returns a Bulkhead that lets at most limit calls run at once,
// configured by opts. A limit of zero means no limit, and so does a
// negative one: [Bulkhead.Run] then calls op directly.
func NewBulkhead(limit int, opts ...BulkheadOption) *Bulkhead {
	b := &Bulkhead{}
	if limit >= 1 {
		b.slots = make(chan struct{}, limit)
	}
	for _, o := range opts {
		if o != nil {
			o.apply(b)
		}
	}
	return b
}

// Run runs op in a free slot. It returns op's error, [ErrBulkheadFull] if no
// slot was free within the bulkhead's [WithMaxWait], or ctx's error (wrapped) if ctx ended while
// waiting; in the last two cases op does not run.
func (b *Bulkhead) Run(ctx context.Context, op func(context.Context) error) error {
	if b == nil || b.slots == nil {
		return op(ctx)
	}
	select {
	case b.slots <- struct{}{}:
	default:
		if err := b.wait(ctx); err != nil {
			return err
		}
	}
	defer func() { <-b.slots }()
	return op(ctx)
}

// wait blocks until a slot is taken, maxWait passes or ctx ends.
func (b *Bulkhead) wait(ctx context.Context) error {
	if b.maxWait <= 0 {
		return ErrBulkheadFull
	}
	t := time.NewTimer(b.maxWait)
	defer t.Stop()
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBulkheadFull
	case <-ctx.Done():
		return fmt.Errorf("resilience: waiting for a bulkhead slot: %w", ctx.Err())
	}
}

// InFlight returns the number of calls running in the bulkhead now. It is
// meant for metrics and tests; the value may be stale as soon as it returns.
func (b *Bulkhead) InFlight() int {
	if b == nil {
		return 0
	}
	return len(b.slots)
}

// Limit returns the most calls the bulkhead runs at once, or 0 for no limit.
func (b *Bulkhead) Limit() int {
	if b == nil {
		return 0
	}
	return cap(b.slots)
}
