package explore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// Cache looks keys up in a remote cache, through the fault point
// cache.get, and gives up on a lookup after a timeout.
type Cache struct {
	get     *chaos.Point
	timeout time.Duration
	live    atomic.Int64
	wg      sync.WaitGroup
	closed  chan struct{}
	once    sync.Once
	// Fixed gives each lookup a buffered channel, so that a lookup that
	// ends after Get gave up still ends.
	Fixed bool
}

// NewCache returns a cache whose lookups are calls at a point of e and
// time out after timeout.
func NewCache(e *chaos.Engine, timeout time.Duration) *Cache {
	return &Cache{get: e.Point("cache.get"), timeout: timeout, closed: make(chan struct{})}
}

// Get looks key up; it returns an error when the lookup fails or times
// out.
func (c *Cache) Get(ctx context.Context, key string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	size := 0 // the planted bug: a lookup that outlives Get blocks on its send
	if c.Fixed {
		size = 1
	}
	done := make(chan error, size)
	c.live.Add(1)
	c.wg.Go(func() {
		defer c.live.Add(-1)
		err := c.get.Inject(ctx)
		select {
		case done <- err:
		case <-c.closed: // only Close ends a leaked lookup
		}
	})
	select {
	case err := <-done:
		if err != nil {
			return "", err
		}
		return "value of " + key, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Lookups returns how many lookups are running.
func (c *Cache) Lookups() int64 { return c.live.Load() }

// Close ends every lookup and waits for them.
func (c *Cache) Close() {
	c.once.Do(func() { close(c.closed) })
	c.wg.Wait()
}
