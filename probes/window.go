package probes

import (
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
	"time"
)

// DefaultWindowSize is the number of samples a [SampleWindow] keeps when
// [NewSampleWindow] is given a size of 0, and the size of a zero
// SampleWindow.
const DefaultWindowSize = 1024

// MaxWindowSize is the largest number of samples a [SampleWindow] keeps. Larger
// sizes given to [NewSampleWindow] are lowered to it.
const MaxWindowSize = 1 << 24

// SampleWindow is an in-process rolling window of call outcomes and latencies: an
// SLI that the request path feeds and game-day probes read.
//
// It keeps the most recent size samples in a fixed ring, so its memory is
// bounded: 8 bytes per sample, with the ring rounded up to a power of two.
// Without [WithMaxAge], latencies are kept to the nanosecond.
// [SampleWindow.Record] and [SampleWindow.Observe] use atomics only (no lock) and do not
// allocate; [SampleWindow.Snapshot] copies and sorts the samples. Each sample is
// one 64-bit word, so a reader never sees half of one. A snapshot taken
// while Records run is not a single instant: it may miss a sample whose
// Record has not finished, or count one that finished after the snapshot
// began, but it never holds more than size samples.
//
// A zero SampleWindow is ready to use: the first Record gives it a ring of
// [DefaultWindowSize] samples with no max age. A nil *SampleWindow ignores
// Records and reports no samples. All methods are safe for concurrent use.
// A SampleWindow must not be copied after first use.
type SampleWindow struct {
	ring atomic.Pointer[ring]
}

// SampleWindowOption configures a [SampleWindow] made by
// [NewSampleWindow]. Only this package makes SampleWindowOptions.
type SampleWindowOption interface {
	applyWindow(*windowConfig)
}

type windowConfig struct {
	maxAge time.Duration // 0: samples never expire
}

type windowOption func(*windowConfig)

func (f windowOption) applyWindow(c *windowConfig) { f(c) }

// WithMaxAge makes the window ignore samples older than d, so that a quiet
// period does not leave stale outcomes in the SLI. The default, and what
// 0 means, is no max age: samples stay until newer ones push them out;
// d < 0 turns the max age off too.
//
// With a max age each sample also stores when it was taken, which costs a
// clock read per Record and some precision: latencies are kept to the
// microsecond (rounded down) and up to about 4m28s, longer ones counting as
// that. Ages are measured in ticks of 2^20 ns (about a millisecond), or
// between d/4096 and d/2048 when d is above about 4 seconds, so a sample
// within one tick of d may count either way. Ages wrap after 2^34 ticks
// (over 200 days); Snapshot clears the samples it finds expired, so only a
// sample that sat that long with no Snapshot in between can be mistaken for
// a fresh one.
func WithMaxAge(d time.Duration) SampleWindowOption {
	return windowOption(func(c *windowConfig) { c.maxAge = max(d, 0) })
}

// NewSampleWindow returns a window that keeps the size most recent samples.
// A size of 0 means [DefaultWindowSize], and so does a negative size (a
// window cannot be turned off); a size above [MaxWindowSize] means
// MaxWindowSize. [WithMaxAge] also drops samples by age.
func NewSampleWindow(size int, opts ...SampleWindowOption) *SampleWindow {
	var cfg windowConfig
	for _, o := range opts {
		if o != nil {
			o.applyWindow(&cfg)
		}
	}
	w := new(SampleWindow)
	w.ring.Store(newRing(size, cfg))
	return w
}

// Record adds one sample: whether the call succeeded and how long it took.
// A negative latency counts as zero. When the window is full the oldest
// sample is dropped.
//
// Record is lock-free and does not allocate (except once, on the first
// Record of a zero SampleWindow). It is safe for concurrent use.
func (w *SampleWindow) Record(ok bool, latency time.Duration) {
	if w == nil {
		return
	}
	r := w.ring.Load()
	if r == nil {
		r = w.init()
	}
	if r.aged {
		r.put(r.agedWord(ok, latency, time.Since(r.epoch)))
		return
	}
	r.put(plainWord(ok, latency))
}

// Observe records a call that began at start and ended now with err: it is
// Record(err == nil, time.Since(start)). Use it in a defer:
//
//	defer func(start time.Time) { w.Observe(start, err) }(time.Now())
//
// Observe is lock-free, does not allocate and is safe for concurrent use.
func (w *SampleWindow) Observe(start time.Time, err error) {
	w.Record(err == nil, time.Since(start))
}

// SampleStats summarises the samples in a [SampleWindow]. It is plain data.
//
// Latency quantiles are taken over every sample, successful or not, by the
// nearest-rank method: Pq is the smallest recorded latency that at least a
// share q of the samples do not exceed. With no samples every field is zero.
type SampleStats struct {
	// Count is the number of samples in the window.
	Count int `json:"count"`
	// Successes is the number of samples recorded as ok.
	Successes int `json:"successes"`
	// SuccessRatio is Successes / Count, or 0 when Count is 0.
	SuccessRatio float64 `json:"success_ratio"`
	// P50, P95 and P99 are latency quantiles; Max is the largest latency.
	// In JSON they are nanoseconds, in fields ending in _ns.
	P50 time.Duration `json:"p50_ns"`
	P95 time.Duration `json:"p95_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Snapshot summarises the samples now in the window. It allocates and sorts
// a copy of them, so its cost grows with the window's size; call it on an
// interval, not per request. It is safe for concurrent use.
func (w *SampleWindow) Snapshot() SampleStats {
	lat, ok := w.samples()
	return summarize(lat, ok)
}

// Size returns the number of samples the window keeps: the size given to
// [NewSampleWindow] after defaults and limits, or [DefaultWindowSize] for
// a zero SampleWindow. It is 0 for a nil *SampleWindow.
func (w *SampleWindow) Size() int {
	if w == nil {
		return 0
	}
	if r := w.ring.Load(); r != nil {
		return int(r.size)
	}
	return DefaultWindowSize
}

// MaxAge returns the max age set with [WithMaxAge], or 0 when samples
// never expire (and for a zero or nil SampleWindow).
func (w *SampleWindow) MaxAge() time.Duration {
	if w == nil {
		return 0
	}
	if r := w.ring.Load(); r != nil {
		return r.cfg.maxAge
	}
	return 0
}

// Reset drops every sample. It swaps in a new, empty ring of the same size
// and settings, so it allocates. Records that run at the same time as Reset
// may land on either side of it. It is safe for concurrent use.
func (w *SampleWindow) Reset() {
	if w == nil {
		return
	}
	if r := w.ring.Load(); r != nil {
		w.ring.Store(newRing(int(r.size), r.cfg))
	}
}

// init gives a zero SampleWindow its default ring.
func (w *SampleWindow) init() *ring {
	r := newRing(DefaultWindowSize, windowConfig{})
	if w.ring.CompareAndSwap(nil, r) {
		return r
	}
	return w.ring.Load()
}

// samples returns the sorted latencies of the samples in the window and the
// number that succeeded.
func (w *SampleWindow) samples() (lat []time.Duration, ok int) {
	if w == nil {
		return nil, 0
	}
	r := w.ring.Load()
	if r == nil {
		return nil, 0
	}
	return r.samples()
}

func summarize(sorted []time.Duration, ok int) SampleStats {
	n := len(sorted)
	if n == 0 {
		return SampleStats{}
	}
	return SampleStats{
		Count:        n,
		Successes:    ok,
		SuccessRatio: float64(ok) / float64(n),
		P50:          quantile(sorted, 0.50),
		P95:          quantile(sorted, 0.95),
		P99:          quantile(sorted, 0.99),
		Max:          sorted[n-1],
	}
}

// quantile returns the nearest-rank q-quantile of sorted, which must not be
// empty: the value at rank ceil(q*n), counting from 1.
func quantile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	// The small slack keeps q*n that should be whole (0.95*100) from
	// rounding up to the next rank.
	rank := int(math.Ceil(q*float64(n) - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// A sample is one 64-bit word:
//
//	without max age: present(1) ok(1) latency in ns(62)
//	with max age:    present(1) ok(1) latency in µs(28) tick(34)
//
// present tells a written slot from an empty one. A tick is 2^shift ns
// since the ring was made.
const (
	presentBit = 1 << 63
	okBit      = 1 << 62

	plainLatencyMax = 1<<62 - 1

	tickBits        = 34
	tickMask        = 1<<tickBits - 1
	agedLatencyBits = 28
	agedLatencyMax  = 1<<agedLatencyBits - 1 // in µs, about 4m28s

	minTickShift   = 20 // 2^20 ns, about 1 ms
	ticksPerMaxAge = 12 // ticks are at most maxAge/2^12
)

// ring is the storage of a SampleWindow. A Reset replaces it whole.
type ring struct {
	slots       []atomic.Uint64
	mask        uint64 // len(slots)-1; len(slots) is a power of two
	size        uint64 // samples kept, <= len(slots)
	aged        bool
	shift       uint   // tick length is 2^shift ns
	maxAgeTicks uint64 // a sample this many ticks old is still fresh
	epoch       time.Time
	cfg         windowConfig

	// head counts the Records ever made. It has a cache line to itself so
	// that its writes do not evict the read-only fields above.
	_    [64]byte
	head atomic.Uint64
	_    [56]byte
}

func newRing(size int, cfg windowConfig) *ring {
	if size <= 0 {
		size = DefaultWindowSize
	}
	size = min(size, MaxWindowSize)
	slots := 1 << bits.Len(uint(size-1)) // next power of two >= size
	r := &ring{
		slots: make([]atomic.Uint64, slots),
		mask:  uint64(slots - 1),
		size:  uint64(size),
		cfg:   cfg,
	}
	if cfg.maxAge > 0 {
		r.aged = true
		r.shift = uint(max(minTickShift, bits.Len64(uint64(cfg.maxAge))-ticksPerMaxAge))
		r.maxAgeTicks = uint64(cfg.maxAge) >> r.shift
		r.epoch = time.Now()
	}
	return r
}

// plainWord packs a sample for a ring without max age.
func plainWord(ok bool, latency time.Duration) uint64 {
	w := presentBit | min(uint64(max(latency, 0)), plainLatencyMax)
	if ok {
		w |= okBit
	}
	return w
}

// agedWord packs a sample taken elapsed after the ring's epoch, for a ring
// with a max age.
func (r *ring) agedWord(ok bool, latency, elapsed time.Duration) uint64 {
	us := min(uint64(max(latency, 0)/time.Microsecond), agedLatencyMax)
	w := presentBit | us<<tickBits | r.tick(elapsed)
	if ok {
		w |= okBit
	}
	return w
}

// tick returns the tick of a time elapsed after the ring's epoch, wrapped
// to tickBits.
func (r *ring) tick(elapsed time.Duration) uint64 {
	return uint64(max(elapsed, 0)) >> r.shift & tickMask
}

func (r *ring) put(w uint64) {
	i := r.head.Add(1) - 1
	r.slots[i&r.mask].Store(w)
}

// samples reads the last size slots, drops empty and expired ones, and
// returns the sorted latencies and the number of successes. It reads the
// slots first and the clock after, so that no sample read is newer than
// now and ages never come out negative. Until it is filtered, lat holds
// the words read.
func (r *ring) samples() (lat []time.Duration, ok int) {
	h := r.head.Load()
	from := h - min(h, r.size)
	lat = make([]time.Duration, h-from)
	for j := range lat {
		lat[j] = time.Duration(r.slots[(from+uint64(j))&r.mask].Load())
	}
	var now uint64
	if r.aged {
		now = r.tick(time.Since(r.epoch))
	}
	out := lat[:0] // out never passes lat's read position j
	for j, word := range lat {
		v := uint64(word)
		switch {
		case v&presentBit == 0:
			continue
		case r.aged && (now-v&tickMask)&tickMask > r.maxAgeTicks:
			// Expired: clear it, unless a Record has replaced it since,
			// so that it cannot look fresh when ticks wrap.
			r.slots[(from+uint64(j))&r.mask].CompareAndSwap(v, 0)
			continue
		}
		if v&okBit != 0 {
			ok++
		}
		out = append(out, r.latency(v))
	}
	slices.Sort(out)
	return out, ok
}

func (r *ring) latency(v uint64) time.Duration {
	if !r.aged {
		return time.Duration(v & plainLatencyMax)
	}
	return time.Duration(v>>tickBits&agedLatencyMax) * time.Microsecond
}
