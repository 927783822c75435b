package chaosgrpc

import (
	"context"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// apply carries out the fired decision d before the work it guards (a
// call, or a stream message) and returns nil when the work should go on:
// a latency waited out, or a wait the kill switch cut short. Otherwise it
// returns the error to fail the work with. A panic fault panics, unless
// recover is set, when it fails with codes.Internal.
func (g *registry) apply(ctx context.Context, d chaos.Decision, recover bool) error {
	switch d.Kind() {
	case faults.KindLatency, faults.KindHang:
		if err := d.Inject(ctx); err != nil {
			return g.waitError(d, err)
		}
		return nil
	case faults.KindPanic:
		if !recover {
			panic(d.Err())
		}
	}
	return g.failure(d)
}
