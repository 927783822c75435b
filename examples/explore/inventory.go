package explore

import (
	"context"
	"errors"
	"fmt"

	"github.com/faultline-go/faultline/chaos"
)

// ErrUnavailable is returned when every attempt to reach the inventory
// backend failed.
var ErrUnavailable = errors.New("inventory: backend unavailable")

// Inventory reads stock levels from a backend, through the fault points
// inventory.get and inventory.list, retrying a failed call.
type Inventory struct {
	get, list *chaos.Point
	stock     map[string]int
	// Fixed makes Items retry as Item does.
	Fixed bool
}

// NewInventory returns an inventory whose backend calls are points of e.
func NewInventory(e *chaos.Engine) *Inventory {
	return &Inventory{
		get:   e.Point("inventory.get"),
		list:  e.Point("inventory.list"),
		stock: map[string]int{"apple": 3, "pear": 5},
	}
}

// attempts is how many times a backend call is tried.
const attempts = 3

// retry calls the backend at p up to attempts times.
func retry(ctx context.Context, p *chaos.Point) error {
	var err error
	for range attempts {
		if err = p.Inject(ctx); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w after %d attempts: %w", ErrUnavailable, attempts, err)
}

// Item returns the stock of one item.
func (inv *Inventory) Item(ctx context.Context, name string) (int, error) {
	if err := retry(ctx, inv.get); err != nil {
		return 0, err
	}
	return inv.stock[name], nil
}

// Items returns the stock of every item.
func (inv *Inventory) Items(ctx context.Context) (map[string]int, error) {
	if inv.Fixed {
		if err := retry(ctx, inv.list); err != nil {
			return nil, err
		}
	} else if err := inv.list.Inject(ctx); err != nil {
		return nil, err // the planted bug: one failure and the caller sees it
	}
	return inv.stock, nil
}
