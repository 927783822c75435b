package probes_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/probes"
	"github.com/google/go-cmp/cmp"
)

type sample struct {
	ok      bool
	latency time.Duration
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// okSamples returns samples of the given latencies, all successful.
func okSamples(lat ...time.Duration) []sample {
	s := make([]sample, len(lat))
	for i, d := range lat {
		s[i] = sample{ok: true, latency: d}
	}
	return s
}

// model computes the Stats of samples the slow, obvious way: keep the last
// size samples, sort their latencies, pick nearest ranks.
func model(samples []sample, size int) probes.SampleStats {
	if len(samples) > size {
		samples = samples[len(samples)-size:]
	}
	n := len(samples)
	if n == 0 {
		return probes.SampleStats{}
	}
	lat := make([]time.Duration, n)
	ok := 0
	for i, s := range samples {
		lat[i] = max(s.latency, 0)
		if s.ok {
			ok++
		}
	}
	slices.Sort(lat)
	rank := func(pct int) time.Duration {
		// Nearest rank: the smallest r with r/n >= pct/100.
		r := (pct*n + 99) / 100
		return lat[max(r, 1)-1]
	}
	return probes.SampleStats{
		Count:        n,
		Successes:    ok,
		SuccessRatio: float64(ok) / float64(n),
		P50:          rank(50),
		P95:          rank(95),
		P99:          rank(99),
		Max:          lat[n-1],
	}
}

func TestWindowStats(t *testing.T) {
	var oneToHundred []time.Duration
	for i := 100; i >= 1; i-- { // recorded in reverse to show order does not matter
		oneToHundred = append(oneToHundred, ms(i))
	}
	tests := []struct {
		name    string
		size    int
		samples []sample
		want    probes.SampleStats
	}{
		{name: "empty", size: 10, want: probes.SampleStats{}},
		{
			name: "one sample", size: 10,
			samples: []sample{{ok: false, latency: ms(7)}},
			want:    probes.SampleStats{Count: 1, P50: ms(7), P95: ms(7), P99: ms(7), Max: ms(7)},
		},
		{
			name: "1ms to 100ms", size: 100,
			samples: okSamples(oneToHundred...),
			want:    probes.SampleStats{Count: 100, Successes: 100, SuccessRatio: 1, P50: ms(50), P95: ms(95), P99: ms(99), Max: ms(100)},
		},
		{
			name: "ten samples", size: 10,
			samples: []sample{
				{true, ms(5)}, {true, ms(1)}, {false, ms(9)}, {true, ms(3)}, {true, ms(7)},
				{true, ms(2)}, {true, ms(10)}, {false, ms(4)}, {true, ms(8)}, {true, ms(6)},
			},
			want: probes.SampleStats{Count: 10, Successes: 8, SuccessRatio: 0.8, P50: ms(5), P95: ms(10), P99: ms(10), Max: ms(10)},
		},
		{
			name: "one slow call in twenty", size: 20,
			samples: append(okSamples(slices.Repeat([]time.Duration{ms(1)}, 19)...), sample{false, time.Second}),
			want:    probes.SampleStats{Count: 20, Successes: 19, SuccessRatio: 0.95, P50: ms(1), P95: ms(1), P99: time.Second, Max: time.Second},
		},
		{
			name: "ring keeps the last size", size: 3,
			samples: []sample{{true, ms(100)}, {false, ms(200)}, {true, ms(1)}, {true, ms(2)}, {false, ms(3)}},
			want:    probes.SampleStats{Count: 3, Successes: 2, SuccessRatio: 2.0 / 3, P50: ms(2), P95: ms(3), P99: ms(3), Max: ms(3)},
		},
		{
			name: "ring wraps many times", size: 4,
			samples: okSamples(ms(1), ms(2), ms(3), ms(4), ms(5), ms(6), ms(7), ms(8), ms(9), ms(10), ms(11)),
			want:    probes.SampleStats{Count: 4, Successes: 4, SuccessRatio: 1, P50: ms(9), P95: ms(11), P99: ms(11), Max: ms(11)},
		},
		{
			name: "negative latency counts as zero", size: 2,
			samples: okSamples(-time.Second, ms(1)),
			want:    probes.SampleStats{Count: 2, Successes: 2, SuccessRatio: 1, P50: 0, P95: ms(1), P99: ms(1), Max: ms(1)},
		},
		{
			name: "nanosecond latencies are exact", size: 3,
			samples: okSamples(1, 2, 1<<62-1),
			want:    probes.SampleStats{Count: 3, Successes: 3, SuccessRatio: 1, P50: 2, P95: 1<<62 - 1, P99: 1<<62 - 1, Max: 1<<62 - 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := probes.NewSampleWindow(tt.size)
			for _, s := range tt.samples {
				w.Record(s.ok, s.latency)
			}
			got := w.Snapshot()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Snapshot() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(model(tt.samples, tt.size), got); diff != "" {
				t.Errorf("Snapshot() differs from the model (-model +got):\n%s", diff)
			}
		})
	}
}

func TestWindowSize(t *testing.T) {
	tests := []struct {
		name string
		w    *probes.SampleWindow
		want int
	}{
		{"given", probes.NewSampleWindow(100), 100},
		{"zero means default", probes.NewSampleWindow(0), probes.DefaultWindowSize},
		{"negative means default", probes.NewSampleWindow(-5), probes.DefaultWindowSize},
		{"zero value", new(probes.SampleWindow), probes.DefaultWindowSize},
		{"nil", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.Size(); got != tt.want {
				t.Errorf("Size() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestWindowZeroValue(t *testing.T) {
	var w probes.SampleWindow
	if got := w.Snapshot(); got != (probes.SampleStats{}) {
		t.Errorf("Snapshot() of a zero Window = %+v, want zero", got)
	}
	w.Reset() // no ring yet: nothing to do
	for i := range probes.DefaultWindowSize + 10 {
		w.Record(i%2 == 0, ms(1))
	}
	got := w.Snapshot()
	want := probes.SampleStats{Count: probes.DefaultWindowSize, Successes: probes.DefaultWindowSize / 2, SuccessRatio: 0.5,
		P50: ms(1), P95: ms(1), P99: ms(1), Max: ms(1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Snapshot() mismatch (-want +got):\n%s", diff)
	}
}

func TestWindowNil(t *testing.T) {
	var w *probes.SampleWindow
	w.Record(true, time.Second)
	w.Observe(time.Now(), nil)
	w.Reset()
	if got := w.Snapshot(); got != (probes.SampleStats{}) {
		t.Errorf("Snapshot() of a nil Window = %+v, want zero", got)
	}
}

func TestWindowReset(t *testing.T) {
	w := probes.NewSampleWindow(8, probes.WithMaxAge(time.Minute))
	for range 5 {
		w.Record(false, time.Second)
	}
	w.Reset()
	if got := w.Snapshot(); got != (probes.SampleStats{}) {
		t.Fatalf("Snapshot() after Reset = %+v, want zero", got)
	}
	if got := w.Size(); got != 8 {
		t.Errorf("Size() after Reset = %d, want 8", got)
	}
	w.Record(true, ms(3))
	want := probes.SampleStats{Count: 1, Successes: 1, SuccessRatio: 1, P50: ms(3), P95: ms(3), P99: ms(3), Max: ms(3)}
	if diff := cmp.Diff(want, w.Snapshot()); diff != "" {
		t.Errorf("Snapshot() mismatch (-want +got):\n%s", diff)
	}
}

func TestWindowObserve(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, opts := range [][]probes.SampleWindowOption{nil, {probes.WithMaxAge(time.Hour)}} {
			w := probes.NewSampleWindow(10, opts...)
			start := time.Now()
			time.Sleep(5 * time.Millisecond)
			w.Observe(start, nil)
			time.Sleep(10 * time.Millisecond)
			w.Observe(start, errors.New("timeout"))
			want := probes.SampleStats{Count: 2, Successes: 1, SuccessRatio: 0.5, P50: ms(5), P95: ms(15), P99: ms(15), Max: ms(15)}
			if diff := cmp.Diff(want, w.Snapshot()); diff != "" {
				t.Errorf("opts %v: Snapshot() mismatch (-want +got):\n%s", opts, diff)
			}
		}
	})
}

// TestWindowMaxAge runs on fake time: samples older than the max age drop
// out of the snapshot while younger ones stay.
func TestWindowMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := probes.NewSampleWindow(100, probes.WithMaxAge(time.Second))
		w.Record(true, ms(1))
		time.Sleep(600 * time.Millisecond)
		w.Record(false, ms(2))
		w.Record(false, ms(4))

		want := probes.SampleStats{Count: 3, Successes: 1, SuccessRatio: 1.0 / 3, P50: ms(2), P95: ms(4), P99: ms(4), Max: ms(4)}
		if diff := cmp.Diff(want, w.Snapshot()); diff != "" {
			t.Errorf("at 600ms: Snapshot() mismatch (-want +got):\n%s", diff)
		}

		time.Sleep(600 * time.Millisecond) // the first sample is 1.2s old
		want = probes.SampleStats{Count: 2, Successes: 0, SuccessRatio: 0, P50: ms(2), P95: ms(4), P99: ms(4), Max: ms(4)}
		if diff := cmp.Diff(want, w.Snapshot()); diff != "" {
			t.Errorf("at 1.2s: Snapshot() mismatch (-want +got):\n%s", diff)
		}

		time.Sleep(time.Second) // all are old
		if got := w.Snapshot(); got != (probes.SampleStats{}) {
			t.Errorf("at 2.2s: Snapshot() = %+v, want zero", got)
		}

		w.Record(true, ms(8))
		want = probes.SampleStats{Count: 1, Successes: 1, SuccessRatio: 1, P50: ms(8), P95: ms(8), P99: ms(8), Max: ms(8)}
		if diff := cmp.Diff(want, w.Snapshot()); diff != "" {
			t.Errorf("after a new Record: Snapshot() mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestWindowMaxAgeLong checks that long max ages, whose ticks are coarser
// than a millisecond, still sort samples by age.
func TestWindowMaxAgeLong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := probes.NewSampleWindow(100, probes.WithMaxAge(24*time.Hour))
		w.Record(false, ms(1))
		time.Sleep(23 * time.Hour)
		w.Record(true, ms(2))
		if got := w.Snapshot().Count; got != 2 {
			t.Errorf("at 23h: Count = %d, want 2", got)
		}
		time.Sleep(2 * time.Hour)
		want := probes.SampleStats{Count: 1, Successes: 1, SuccessRatio: 1, P50: ms(2), P95: ms(2), P99: ms(2), Max: ms(2)}
		if diff := cmp.Diff(want, w.Snapshot()); diff != "" {
			t.Errorf("at 25h: Snapshot() mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestWindowMaxAgePrecision pins what a max age costs: latencies are kept
// to the microsecond and up to about 4m28s.
func TestWindowMaxAgePrecision(t *testing.T) {
	const longest = (1<<28 - 1) * time.Microsecond
	tests := []struct {
		name      string
		latency   time.Duration
		wantPlain time.Duration
		wantAged  time.Duration
	}{
		{"whole microseconds", 1234 * time.Microsecond, 1234 * time.Microsecond, 1234 * time.Microsecond},
		{"rounded down", 1999 * time.Nanosecond, 1999 * time.Nanosecond, time.Microsecond},
		{"below a microsecond", 999, 999, 0},
		{"longest kept", longest, longest, longest},
		{"longer is capped", 10 * time.Minute, 10 * time.Minute, longest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := probes.NewSampleWindow(1)
			plain.Record(true, tt.latency)
			if got := plain.Snapshot().Max; got != tt.wantPlain {
				t.Errorf("without max age: Max = %v, want %v", got, tt.wantPlain)
			}
			aged := probes.NewSampleWindow(1, probes.WithMaxAge(time.Hour))
			aged.Record(true, tt.latency)
			if got := aged.Snapshot().Max; got != tt.wantAged {
				t.Errorf("with max age: Max = %v, want %v", got, tt.wantAged)
			}
		})
	}
}

// TestWindowConcurrent records from many goroutines while others take
// snapshots. Run it with -race.
func TestWindowConcurrent(t *testing.T) {
	const (
		size    = 64
		writers = 4
		records = 2000
	)
	for _, opts := range [][]probes.SampleWindowOption{nil, {probes.WithMaxAge(time.Hour)}} {
		w := probes.NewSampleWindow(size, opts...)
		var writing sync.WaitGroup
		stop := make(chan struct{})
		for g := range writers {
			writing.Go(func() {
				// Writer g records latency g+1 ms; even writers succeed.
				// Writer 0 also resets the window halfway; it has more
				// than size Records left after that.
				for i := range records {
					if g == 0 && i == records/2 {
						w.Reset()
					}
					w.Record(g%2 == 0, ms(g+1))
				}
			})
		}
		var reading sync.WaitGroup
		for range 2 {
			reading.Go(func() {
				for {
					checkStats(t, w.Snapshot(), size, writers)
					select {
					case <-stop:
						return
					default:
					}
				}
			})
		}
		writing.Wait()
		close(stop)
		reading.Wait()

		got := w.Snapshot()
		checkStats(t, got, size, writers)
		if got.Count != size {
			t.Errorf("opts %v: Count after all Records = %d, want %d", opts, got.Count, size)
		}
	}
}

// checkStats checks what holds for every snapshot of TestWindowConcurrent.
func checkStats(t *testing.T, s probes.SampleStats, size, writers int) {
	t.Helper()
	if s.Count > size || s.Successes > s.Count || s.Successes < 0 {
		t.Errorf("Stats %+v: counts out of range for size %d", s, size)
	}
	if s.Count == 0 {
		return
	}
	if s.P50 < ms(1) || s.P50 > s.P95 || s.P95 > s.P99 || s.P99 > s.Max || s.Max > ms(writers) {
		t.Errorf("Stats %+v: latencies out of order or not recorded", s)
	}
}
