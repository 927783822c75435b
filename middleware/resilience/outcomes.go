package resilience

import (
	"context"
	"errors"

	"github.com/faultline-go/faultline/faults"
)

// settleKey marks a context passed on by a layer that settles outcomes.
type settleKey struct{}

// settling returns the context to pass on, and whether the caller is the
// outermost settling layer of the call. It allocates only when it is.
func settling(ctx context.Context) (context.Context, bool) {
	if ctx.Value(settleKey{}) != nil {
		return ctx, false
	}
	return context.WithValue(ctx, settleKey{}, true), true
}

// tally is one injected error met n times. The engine makes one error per
// rule, so a ledger holds few tallies however many attempts there were.
type tally struct {
	err *faults.InjectedError
	n   int
}

// ledger is what a call met: the injected errors still to be settled.
type ledger []tally

// add records the injected errors in err, and those that RetryErrors in it
// carry from their earlier attempts.
func (l *ledger) add(err error) {
	switch x := err.(type) {
	case nil:
		return
	case *faults.InjectedError:
		l.put(x, 1)
		return
	case *RetryError:
		for _, t := range x.earlier {
			l.put(t.err, t.n)
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		l.add(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			l.add(e)
		}
	}
}

func (l *ledger) put(err *faults.InjectedError, n int) {
	for i := range *l {
		if (*l)[i].err == err {
			(*l)[i].n += n
			return
		}
	}
	*l = append(*l, tally{err, n})
}

// settle reports every error of l as absorbed or as escaped, and empties l.
func (l *ledger) settle(absorbed bool) {
	for _, t := range *l {
		for range t.n {
			if absorbed {
				faults.Absorbed(t.err)
			} else {
				faults.Escaped(t.err)
			}
		}
	}
	*l = (*l)[:0]
}

// settleErr settles the injected errors in err.
func settleErr(err error, absorbed bool) {
	var l ledger
	l.add(err)
	l.settle(absorbed)
}

// recovered settles a fallback's outcome: it was given err, and returned
// res (nil when it recovered). outer says whether it is the outermost
// settling layer.
func recovered(outer bool, err, res error) {
	switch {
	case res == nil:
		settleErr(err, true)
	case outer:
		settleErr(res, false)
		if !errors.Is(res, err) {
			settleErr(err, false)
		}
	case !errors.Is(res, err):
		// The outer layer will not find err in res: nobody else can
		// settle it, and this layer failed to recover from it.
		settleErr(err, false)
	}
}
