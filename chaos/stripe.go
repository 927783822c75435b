package chaos

import (
	"runtime"
	"sync/atomic"

	"github.com/faultline-go/faultline/faults"
)

// stripe is one of a point's striped sequences: its evaluations and the
// faults they fired, by kind, on a cache line of their own, so that calls
// on different cores write different lines.
type stripe struct {
	evals atomic.Uint64
	fired [faults.NumKinds]atomic.Uint64
	_     [128 - 8*(1+faults.NumKinds)%128]byte
}

// maxStripes bounds a point's stripes, and so the memory a hot point
// takes: 64 lines of 128 bytes.
const maxStripes = 64

// loadStripes returns the point's stripes, making them on first use: four
// per P, rounded up to a power of two, at most maxStripes, so that the
// goroutines running at one time seldom share a stripe.
func (p *Point) loadStripes() []stripe {
	if s := p.stripes.Load(); s != nil {
		return *s
	}
	n := 1
	for n < 4*runtime.GOMAXPROCS(0) && n < maxStripes {
		n *= 2
	}
	s := make([]stripe, n)
	p.stripes.CompareAndSwap(nil, &s)
	return *p.stripes.Load()
}

// evaluations returns the point's evaluations: its exact sequence and its
// stripes summed.
func (p *Point) evaluations() uint64 {
	n := p.evals.Load()
	if s := p.stripes.Load(); s != nil {
		for i := range *s {
			n += (*s)[i].evals.Load()
		}
	}
	return n
}

// stripesFired returns the faults of every kind the point's stripes
// counted.
func (p *Point) stripesFired() uint64 {
	var n uint64
	if s := p.stripes.Load(); s != nil {
		for i := range *s {
			for k := range (*s)[i].fired {
				n += (*s)[i].fired[k].Load()
			}
		}
	}
	return n
}

// firedOf returns the faults of kind k the point injected.
func (p *Point) firedOf(k faults.Kind) uint64 {
	n := p.fired[k].Load()
	if s := p.stripes.Load(); s != nil {
		for i := range *s {
			n += (*s)[i].fired[k].Load()
		}
	}
	return n
}
