package explore

import (
	"context"
	"sync/atomic"

	"github.com/faultline-go/faultline/chaos"
)

// Pricing quotes prices through a client of the pricing service, whose
// calls are the fault point pricing.quote.
type Pricing struct {
	quote *chaos.Point
	calls atomic.Int64
	// Fixed leaves the retries to the client alone, so that a request
	// makes at most 3 calls.
	Fixed bool
}

// NewPricing returns a pricing handler whose calls are a point of e.
func NewPricing(e *chaos.Engine) *Pricing {
	return &Pricing{quote: e.Point("pricing.quote")}
}

// Calls returns how many calls were made to the pricing service.
func (p *Pricing) Calls() int64 { return p.calls.Load() }

// fetch is the client: it tries a call 3 times.
func (p *Pricing) fetch(ctx context.Context) error {
	var err error
	for range attempts {
		p.calls.Add(1)
		if err = p.quote.Inject(ctx); err == nil {
			return nil
		}
	}
	return err
}

// Quote is the handler: it returns a price.
func (p *Pricing) Quote(ctx context.Context) (int, error) {
	tries := attempts // the planted bug: retries on top of the client's
	if p.Fixed {
		tries = 1
	}
	var err error
	for range tries {
		if err = p.fetch(ctx); err == nil {
			return 42, nil
		}
	}
	return 0, err
}
