package explore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
	_ "modernc.org/sqlite"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The bodies below are what a service's own tests would hand to
// chaostest.Explore: they build the code on the engine of the run,
// exercise it, and return an error only for what it must not do even
// under faults. fixed switches the planted bug off.

func inventoryBody(fixed bool) chaostest.Body {
	return func(ctx context.Context, e *chaos.Engine) error {
		inv := NewInventory(e)
		inv.Fixed = fixed
		if _, err := inv.Item(ctx, "apple"); err != nil && !errors.Is(err, ErrUnavailable) {
			return fmt.Errorf("item answered %v without retrying", err)
		}
		if _, err := inv.Items(ctx); err != nil && !errors.Is(err, ErrUnavailable) {
			return fmt.Errorf("items answered %v without retrying", err)
		}
		return nil
	}
}

var dbs atomic.Int64

func ledgerBody(fixed bool) chaostest.Body {
	return func(ctx context.Context, e *chaos.Engine) error {
		db, err := sql.Open("sqlite", fmt.Sprintf("file:ledger%d?mode=memory&cache=shared", dbs.Add(1)))
		if err != nil {
			return err
		}
		defer db.Close()
		l := NewLedger(db, e)
		l.Fixed = fixed
		if err := l.Setup(ctx); err != nil {
			return err
		}
		for i := range 2 {
			if err := l.Transfer(ctx, "alice", "bob", 10); err != nil && !errors.Is(err, faults.ErrInjected) {
				return fmt.Errorf("transfer %d: %w", i, err)
			}
			// Checked at once: the locks of an open transaction would
			// hold up the next one.
			if n := db.Stats().InUse; n != 0 {
				return fmt.Errorf("transfer %d left a transaction open (%d connections in use)", i, n)
			}
		}
		if total, err := l.Total(ctx); err != nil || total != 200 {
			return fmt.Errorf("total %d (%v), want 200", total, err)
		}
		return nil
	}
}

// cacheBody runs in a testing/synctest bubble: synctest.Wait lets every
// lookup that can end do so.
func cacheBody(fixed bool) chaostest.Body {
	return func(ctx context.Context, e *chaos.Engine) error {
		c := NewCache(e, 50*time.Millisecond)
		c.Fixed = fixed
		defer c.Close()
		for range 3 {
			_, _ = c.Get(ctx, "user:1") // failures and timeouts are fine
		}
		synctest.Wait()
		if n := c.Lookups(); n != 0 {
			return fmt.Errorf("%d lookups still running after Get returned: a goroutine leaked", n)
		}
		return nil
	}
}

// callBudget is the most calls one request may make to the pricing
// service, however it fails.
const callBudget = 3

func pricingBody(fixed bool) chaostest.Body {
	return func(ctx context.Context, e *chaos.Engine) error {
		p := NewPricing(e)
		p.Fixed = fixed
		for i := range 5 {
			before := p.Calls()
			if _, err := p.Quote(ctx); err != nil && !errors.Is(err, faults.ErrInjected) {
				return fmt.Errorf("quote: %w", err)
			}
			if n := p.Calls() - before; n > callBudget {
				return fmt.Errorf("request %d made %d calls to the pricing service, over the budget of %d", i, n, callBudget)
			}
		}
		return nil
	}
}

type bug struct {
	name     string
	body     func(fixed bool) chaostest.Body
	opts     []chaostest.ExploreOption
	synctest bool
	want     string // the shrunk plan
}

var bugs = []bug{
	{name: "missing retry", body: inventoryBody, want: "inventory.list=1*error"},
	{name: "open transaction", body: ledgerBody, want: "ledger.commit=1*error"},
	{
		name: "goroutine leak", body: cacheBody, synctest: true, want: "cache.get=1*hang",
		opts: []chaostest.ExploreOption{chaostest.ExploreFaults(faults.Error(""), faults.Hang())},
	},
	{name: "retry storm", body: pricingBody, want: "pricing.quote=3*error"},
}

// inBubble runs f in a testing/synctest bubble when the bug needs one.
func (b bug) run(t *testing.T, f func(t *testing.T)) {
	if b.synctest {
		synctest.Test(t, f)
	} else {
		f(t)
	}
}

// TestSearchFindsPlantedBugs: for each planted bug and several seeds, the
// search finds a failing plan and shrinks it to the one rule that causes
// the bug; the figures it logs are the time each search took.
func TestSearchFindsPlantedBugs(t *testing.T) {
	for _, b := range bugs {
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/seed=%d", b.name, seed), func(t *testing.T) {
				b.run(t, func(t *testing.T) {
					start := time.Now()
					f, err := chaostest.Search(t.Context(), b.body(false), append(b.opts, chaostest.ExploreSeed(seed))...)
					if err != nil {
						t.Fatal(err)
					}
					if !f.Failed() {
						t.Fatalf("no failure found in %d plans over %q", f.Runs, f.Points)
					}
					if got := f.Plan.String(); got != b.want || f.Partial {
						t.Errorf("shrunk plan %q (partial %v), want %q\n%s", got, f.Partial, b.want, f.Report(t.Name()))
					}
					t.Logf("found %q at run %d, shrunk to %q in %d runs; %v (clock %v)", f.Found, f.Runs, f.Plan, f.Shrinks, f.Elapsed, time.Since(start))
				})
			})
		}
	}
}

// TestSearchPassesFixedCode: with each bug fixed, the same search tries
// every plan and finds nothing, so what it found above was the bug.
func TestSearchPassesFixedCode(t *testing.T) {
	for _, b := range bugs {
		t.Run(b.name, func(t *testing.T) {
			b.run(t, func(t *testing.T) {
				f, err := chaostest.Search(t.Context(), b.body(true), append(b.opts, chaostest.ExploreRuns(40))...)
				if err != nil {
					t.Fatal(err)
				}
				if f.Failed() {
					t.Fatalf("the fixed code fails:\n%s", f.Report(t.Name()))
				}
				if f.Runs != 40 {
					t.Errorf("tried %d plans, want 40", f.Runs)
				}
			})
		})
	}
}
