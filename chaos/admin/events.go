package admin

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/faultline-go/faultline/chaos"
)

// ring keeps the last events an engine reported. Recording takes one
// atomic add and one atomic store, with no lock, since it runs on the
// goroutine of the call that fired; readers check each slot's id, so they
// skip a slot a writer has claimed but not yet filled, and one overwritten
// since.
type ring struct {
	slots []atomic.Pointer[record]
	next  atomic.Uint64 // the id of the newest event claimed; ids start at 1
}

type record struct {
	id uint64
	ev chaos.Event
}

var _ chaos.InlineObserver = (*ring)(nil)

// NeverBlocks marks the ring as an inline observer: Observe only stores.
func (g *ring) NeverBlocks() {}

func newRing(n int) *ring { return &ring{slots: make([]atomic.Pointer[record], n)} }

// Observe records ev.
func (g *ring) Observe(_ context.Context, ev chaos.Event) {
	id := g.next.Add(1)
	ev.Labels = slices.Clone(ev.Labels) // the caller may reuse them
	g.slots[(id-1)%uint64(len(g.slots))].Store(&record{id: id, ev: ev})
}

// since returns the events still held with ids above after, oldest first,
// and the id of the newest event claimed.
func (g *ring) since(after uint64) ([]eventView, uint64) {
	last := g.next.Load()
	if after >= last { // also keeps after+1 from wrapping to 0
		return []eventView{}, last
	}
	n := uint64(len(g.slots))
	first := after + 1
	if last > n && first <= last-n {
		first = last - n + 1
	}
	out := make([]eventView, 0, min(last-min(last, first-1), n))
	for id := first; id <= last; id++ {
		rec := g.slots[(id-1)%n].Load()
		if rec == nil || rec.id != id {
			continue // claimed but not stored yet, or already overwritten
		}
		ev := &rec.ev
		out = append(out, eventView{
			ID:        id,
			Time:      ev.Time,
			Point:     ev.Point,
			Rule:      ev.Rule,
			Seq:       ev.Seq,
			Kind:      ev.Fault.Kind,
			Fault:     ev.Fault.String(),
			Labels:    ev.Labels,
			DryRun:    ev.DryRun,
			Directive: ev.Directive,
		})
	}
	return out, last
}
