// Package seededtest shows how a service's own unit test reproduces a
// fault with a deterministic seed: the code marks a fault point, the test
// switches a fault on for the rest of the test, and the same seed gives the
// same faults on every run, so a failure found once is found again.
//
// Run it with
//
//	go test ./examples/seededtest
//
// and, to replay a failure with the seed a failing test printed,
//
//	go test ./examples/seededtest -run TestCheckoutRetriesDeclinedCharges -faultline.seed=1234
package seededtest

import (
	"context"
	"errors"
	"fmt"

	"github.com/faultline-go/faultline/chaos"
)

// Checkout charges orders through a payment gateway, retrying a charge
// that fails up to Attempts times.
type Checkout struct {
	// Charge is the fault point around the call to the gateway.
	Charge *chaos.Point
	// Attempts is how many times a charge is tried. Zero means 3.
	Attempts int
	// Charged counts the successful charges.
	Charged int
}

// ErrPaymentFailed is returned when every attempt to charge failed.
var ErrPaymentFailed = errors.New("checkout: payment failed")

// Pay charges one order.
func (c *Checkout) Pay(ctx context.Context, order string) error {
	attempts := c.Attempts
	if attempts == 0 {
		attempts = 3
	}
	var last error
	for i := 0; i < attempts; i++ {
		if last = c.charge(ctx, order); last == nil {
			c.Charged++
			return nil
		}
	}
	return fmt.Errorf("%w: order %s: %w", ErrPaymentFailed, order, last)
}

// charge stands for the call to the payment gateway.
func (c *Checkout) charge(ctx context.Context, order string) error {
	if err := c.Charge.Inject(ctx); err != nil {
		return err
	}
	return nil // the real gateway call goes here
}
