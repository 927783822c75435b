package seededtest

import (
	"errors"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The gateway declines 30% of charges. With three attempts, some orders
// still fail: which ones is fixed by the seed, so the test can name them.
func TestCheckoutRetriesDeclinedCharges(t *testing.T) {
	e := chaos.New(chaos.WithSeed(20261126))
	chaostest.Enable(t, e, "payments.charge=30%error(card declined)")
	c := &Checkout{Charge: e.Point("payments.charge")}

	var failed []int
	for i := range 100 {
		err := c.Pay(t.Context(), "order")
		switch {
		case err == nil:
		case errors.Is(err, faults.ErrInjected) && errors.Is(err, ErrPaymentFailed):
			failed = append(failed, i)
		default:
			t.Fatalf("order %d: unexpected error %v", i, err)
		}
	}
	// 0.3³ ≈ 2.7% of orders fail all three attempts. The seed fixes which.
	if len(failed) == 0 || len(failed) > 10 {
		t.Fatalf("%d orders failed, want a few", len(failed))
	}
	t.Logf("orders that failed every attempt: %v", failed)
	if c.Charged+len(failed) != 100 {
		t.Errorf("charged %d + failed %d != 100", c.Charged, len(failed))
	}
}

// The same seed and plan give the same faults, run after run: the property
// that turns a flaky failure into a reproducible one.
func TestSameSeedSameFailures(t *testing.T) {
	run := func() []bool {
		e := chaostest.New(t) // seeded from the test's name, or -faultline.seed
		if err := e.Apply(chaos.MustParsePlan("payments.charge=30%error(card declined)")); err != nil {
			t.Fatal(err)
		}
		c := &Checkout{Charge: e.Point("payments.charge")}
		var out []bool
		for range 50 {
			out = append(out, c.Pay(t.Context(), "order") == nil)
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("order %d: %v then %v with the same seed", i, a[i], b[i])
		}
	}
}

// A fault that fires on the second attempt only: "after" and "times"
// pin a precise sequence without any randomness.
func TestSecondAttemptSucceeds(t *testing.T) {
	e := chaostest.New(t)
	chaostest.Enable(t, e, "payments.charge=1*error(timeout)")
	c := &Checkout{Charge: e.Point("payments.charge")}
	if err := c.Pay(t.Context(), "order-1"); err != nil {
		t.Fatalf("Pay: %v; one failure should be retried", err)
	}
	if got := e.Stats().Points[0].Fired; got != 1 {
		t.Errorf("fired %d times, want 1", got)
	}
}
