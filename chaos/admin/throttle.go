package admin

import (
	"container/list"
	"sync"
	"time"
)

// DefaultLoginFailures is how many failed attempts in a row one client
// address may make before it must wait, unless [WithLoginThrottle] sets
// another number.
const DefaultLoginFailures = 5

const (
	// maxClients bounds the client addresses the throttle remembers.
	maxClients = 10000
	// backoffBase is the first wait, after the allowed failures.
	backoffBase = time.Second
	// backoffMax is the longest wait.
	backoffMax = 15 * time.Minute
	// forgetAfter is how long after its last failure a client starts
	// afresh.
	forgetAfter = time.Hour
	// logInterval is the least time between two log lines about refusals
	// of one client, and between two about a full table.
	logInterval = time.Minute
)

// throttle remembers, per client address, the failed attempts at the
// token, to make a client that keeps failing wait, and the refusals logged,
// to log at most one line per client per logInterval. It holds at most max
// clients, forgetting the least recently seen one to make room. It is safe
// for concurrent use.
type throttle struct {
	mu      sync.Mutex
	free    int // failures in a row allowed before a wait; < 0: never wait
	max     int
	clients map[string]*list.Element // key → element holding its *client
	lru     list.List                // most recently seen first

	evicted  int       // clients forgotten to make room since the last report
	reported time.Time // when evictions were last reported
}

// client is what the throttle remembers of one address.
type client struct {
	key      string
	failures int       // failed attempts in a row
	last     time.Time // of the last failure
	until    time.Time // the client may not try again before
	logged   time.Time // when a refusal of it was last logged
	unlogged int       // refusals not logged since
}

func newThrottle(free, max int) *throttle {
	return &throttle{free: free, max: max, clients: make(map[string]*list.Element)}
}

// get returns the client of key, marked as the most recently seen, or nil
// if there is none and create is false. t.mu is held.
func (t *throttle) get(key string, create bool) *client {
	if el, ok := t.clients[key]; ok {
		t.lru.MoveToFront(el)
		return el.Value.(*client)
	}
	if !create {
		return nil
	}
	if t.lru.Len() >= t.max {
		old := t.lru.Back()
		t.lru.Remove(old)
		delete(t.clients, old.Value.(*client).key)
		t.evicted++
	}
	c := &client{key: key}
	t.clients[key] = t.lru.PushFront(c)
	return c
}

// wait returns how long the client of key must still wait before it may
// try the token again: 0 when it may try now.
func (t *throttle) wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.get(key, false)
	if c == nil || !now.Before(c.until) {
		return 0
	}
	return c.until.Sub(now)
}

// fail records a failed attempt of the client of key, and returns its
// failures in a row and how long it must now wait.
func (t *throttle) fail(key string, now time.Time) (failures int, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.get(key, true)
	if now.Sub(c.last) >= forgetAfter {
		c.failures = 0
	}
	c.failures++
	c.last = now
	if over := c.failures - t.free; t.free >= 0 && over >= 0 {
		wait = backoffMax
		if over < 20 { // 1s<<20 is past backoffMax already
			wait = min(backoffBase<<over, backoffMax)
		}
		c.until = now.Add(wait)
	}
	return c.failures, wait
}

// succeed forgets the failures of the client of key.
func (t *throttle) succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.clients[key]; ok {
		t.lru.Remove(el)
		delete(t.clients, key)
	}
}

// report records a refusal of the client of key and says whether to log
// it: yes for the first in each logInterval, with the number of refusals
// not logged before it.
func (t *throttle) report(key string, now time.Time) (log bool, unlogged int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.get(key, true)
	if !c.logged.IsZero() && now.Sub(c.logged) < logInterval {
		c.unlogged++
		return false, 0
	}
	unlogged, c.unlogged, c.logged = c.unlogged, 0, now
	return true, unlogged
}

// overflow returns how many clients were forgotten to make room since it
// last returned a number, at most once per logInterval; 0 when none were
// or it is too soon.
func (t *throttle) overflow(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.evicted == 0 || (!t.reported.IsZero() && now.Sub(t.reported) < logInterval) {
		return 0
	}
	n := t.evicted
	t.evicted, t.reported = 0, now
	return n
}

// len returns how many clients the throttle remembers.
func (t *throttle) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}
