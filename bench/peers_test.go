package bench

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	gofail "go.etcd.io/gofail/runtime"
)

// TestPointPeers checks that each library's point is set up as its case
// says, so that no row of the comparison measures a point that silently
// never fires (a term the library failed to parse, say).
func TestPointPeers(t *testing.T) {
	const calls = 20000
	ctx := context.Background()
	for _, c := range pointCases {
		// Fires are counted in [lo, hi]: exact for 0 and 1, and for 1% a band
		// far wider than chance (expected 200, standard deviation 14).
		lo, hi := int(c.fires*calls), int(c.fires*calls)
		if c.fires > 0 && c.fires < 1 {
			lo, hi = int(c.fires*calls/3), int(c.fires*calls*3)
		}
		libs := []struct {
			name   string
			inject func() error
		}{
			{"faultline", func() func() error {
				p := faultlinePoint(t, c)
				return func() error { return faultlineInject(ctx, p) }
			}()},
			{"gofail", func() func() error {
				fp := gofailPoint(t, c)
				return func() error { return gofailInject(fp) }
			}()},
			{"pingcap", func() func() error {
				path := pingcapPoint(t, c)
				return func() error { return pingcapInject(path) }
			}()},
		}
		for _, lib := range libs {
			t.Run("case="+c.name+"/lib="+lib.name, func(t *testing.T) {
				fired := 0
				for range calls {
					if lib.inject() != nil {
						fired++
					}
				}
				if fired < lo || fired > hi {
					t.Errorf("fired %d times in %d calls, want %d to %d", fired, calls, lo, hi)
				}
			})
		}
	}
}

// TestGofailPercentNeedsFloat pins the term syntax README.md warns about:
// gofail rejects "1%" and wants "1.0%".
func TestGofailPercentNeedsFloat(t *testing.T) {
	const name = "bench/armed1pct"
	t.Cleanup(func() { _ = gofail.Disable(name) })
	if err := gofail.Enable(name, "1%return(true)"); err == nil {
		t.Error(`gofail accepted "1%return(true)"; README.md says it needs "1.0%"`)
	}
	if err := gofail.Enable(name, "1.0%return(true)"); err != nil {
		t.Errorf(`gofail rejected "1.0%%return(true)": %v`, err)
	}
}

var errBoom = errors.New("bench: boom")

// policyPeer runs op under one library's breaker or retry.
type policyPeer struct {
	name string
	run  func(op func() error) error
}

// breakerPeers returns fresh breakers of every library.
func breakerPeers() []policyPeer {
	ctx := context.Background()
	fl, gb, fs := newFaultlineBreaker(), newGobreaker(), newFailsafeBreaker()
	return []policyPeer{
		{"faultline", func(op func() error) error {
			return fl.Run(ctx, func(context.Context) error { return op() })
		}},
		{"gobreaker", func(op func() error) error {
			_, err := gb.Execute(func() (any, error) { return nil, op() })
			return err
		}},
		{"failsafe", fs.Run},
	}
}

// retryPeers returns the retry of every library, run with ctx.
func retryPeers(ctx context.Context) []policyPeer {
	fs := newFailsafeRetry()
	return []policyPeer{
		{"faultline", func(op func() error) error {
			return faultlineRetry.Run(ctx, func(context.Context) error { return op() })
		}},
		{"backoff", func(op func() error) error {
			return backoff.Retry(op, backoff.WithContext(newBackoff(), ctx))
		}},
		{"failsafe", fs.WithContext(ctx).Run},
	}
}

// TestBreakerPeers checks that every breaker runs a successful op once, and
// is configured alike: it lets 5 failures in a row through and rejects the
// next call without running op.
func TestBreakerPeers(t *testing.T) {
	for _, peer := range breakerPeers() {
		t.Run("lib="+peer.name, func(t *testing.T) {
			ran := 0
			if err := peer.run(func() error { ran++; return nil }); err != nil || ran != 1 {
				t.Fatalf("success path: err %v after %d runs, want nil after 1", err, ran)
			}
			ran = 0
			for range 6 {
				_ = peer.run(func() error { ran++; return errBoom })
			}
			if ran != 5 {
				t.Errorf("op ran %d times in 6 failing calls, want 5 before the breaker opens", ran)
			}
		})
	}
}

// TestRetryPeers checks that every retry runs a successful op once, and is
// configured alike: 3 attempts for an op that keeps failing, with backoff
// waits of about 100ms and 200ms (on synctest's fake clock).
func TestRetryPeers(t *testing.T) {
	for _, name := range []string{"faultline", "backoff", "failsafe"} {
		t.Run("lib="+name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var peer policyPeer
				for _, p := range retryPeers(t.Context()) {
					if p.name == name {
						peer = p
					}
				}
				ran := 0
				if err := peer.run(func() error { ran++; return nil }); err != nil || ran != 1 {
					t.Fatalf("success path: err %v after %d runs, want nil after 1", err, ran)
				}
				ran = 0
				start := time.Now()
				err := peer.run(func() error { ran++; return errBoom })
				waited := time.Since(start)
				if !errors.Is(err, errBoom) {
					t.Errorf("err = %v, want one wrapping %v", err, errBoom)
				}
				if ran != 3 {
					t.Errorf("op ran %d times, want 3 attempts", ran)
				}
				// 100ms and 200ms, each ±50% jitter.
				if waited < 150*time.Millisecond || waited > 450*time.Millisecond {
					t.Errorf("waited %v between attempts, want 150ms to 450ms", waited)
				}
			})
		})
	}
}
