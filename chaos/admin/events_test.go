package admin

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestEvents(t *testing.T) {
	e, h := newTest(t, WithEvents(4))
	if err := e.Apply(chaos.MustParsePlan("db.query=error(x)[every=2];http.get=status(503)[label.tenant=acme]")); err != nil {
		t.Fatal(err)
	}
	events := func(path string) eventsView {
		t.Helper()
		return decode[eventsView](t, do(t, h, req{method: "GET", path: path}))
	}
	fire(e, "db.query", 4)
	_ = e.Point("http.get").Inject(chaos.WithLabels(context.Background(), "tenant", "acme"))

	got := events("api/events")
	for i := range got.Events {
		if got.Events[i].Time.IsZero() {
			t.Errorf("event %d has no time", i)
		}
		got.Events[i].Time = time.Time{}
	}
	want := eventsView{Last: 3, Events: []eventView{
		{ID: 1, Point: "db.query", Rule: 0, Seq: 2, Kind: faults.KindError, Fault: "error(x)"},
		{ID: 2, Point: "db.query", Rule: 0, Seq: 4, Kind: faults.KindError, Fault: "error(x)"},
		{ID: 3, Point: "http.get", Rule: 1, Seq: 1, Kind: faults.KindStatus, Fault: "status(503)", Labels: []chaos.Label{{Key: "tenant", Value: "acme"}}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("api/events (-want +got):\n%s", diff)
	}

	tests := []struct {
		path string
		ids  []uint64
	}{
		{"api/events?after=0", []uint64{1, 2, 3}},
		{"api/events?after=2", []uint64{3}},
		{"api/events?after=3", nil},
		{"api/events?after=99", nil},
	}
	for _, tt := range tests {
		v := events(tt.path)
		if v.Events == nil {
			t.Errorf("%s: events is null, want a list", tt.path)
		}
		if ids := eventIDs(v.Events); !slices.Equal(ids, tt.ids) || v.Last != 3 {
			t.Errorf("%s: ids %v last %d, want %v last 3", tt.path, ids, v.Last, tt.ids)
		}
	}
	if w := do(t, h, req{method: "GET", path: "api/events?after=-1"}); w.Code != 400 {
		t.Errorf("after=-1: %d, want 400", w.Code)
	}

	// The buffer keeps the last 4.
	fire(e, "db.query", 10)
	if v := events("api/events"); !slices.Equal(eventIDs(v.Events), []uint64{5, 6, 7, 8}) || v.Last != 8 {
		t.Errorf("after overflow: ids %v last %d, want 5..8", eventIDs(v.Events), v.Last)
	}
	if v := events("api/events?after=6"); !slices.Equal(eventIDs(v.Events), []uint64{7, 8}) {
		t.Errorf("after=6: ids %v, want 7, 8", eventIDs(v.Events))
	}

	// Close removes the observer: nothing more is recorded.
	h.Close()
	h.Close()
	fire(e, "db.query", 10)
	if v := events("api/events"); v.Last != 8 || h.Counters().Events != 8 {
		t.Errorf("after Close: last %d, counted %d; want 8", v.Last, h.Counters().Events)
	}
}

func TestEventsSetting(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want int // events in api/events
	}{
		{"zero means the default", 0, 3},
		{"negative turns the record off", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t, WithEvents(tt.n))
			if err := e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
				t.Fatal(err)
			}
			fire(e, "db.query", 3)
			v := decode[eventsView](t, do(t, h, req{method: "GET", path: "api/events"}))
			if v.Events == nil || len(v.Events) != tt.want || v.Last != uint64(tt.want) {
				t.Errorf("api/events = %+v, want %d events", v, tt.want)
			}
		})
	}
}

func eventIDs(evs []eventView) []uint64 {
	var ids []uint64
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	return ids
}

// TestRingProperty checks the ring against a model: after k events in a
// ring of n, since(after) returns the events numbered from max(after,k-n)+1
// to k, in order, each the one recorded with that number.
func TestRingProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(rt, "size")
		k := rapid.IntRange(0, 30).Draw(rt, "events")
		after := rapid.OneOf(rapid.Uint64Range(0, 40), rapid.Uint64Range(math.MaxUint64-40, math.MaxUint64)).Draw(rt, "after")
		g := newRing(n)
		for i := 1; i <= k; i++ {
			g.Observe(context.Background(), chaos.Event{Point: fmt.Sprint("p", i)})
		}
		got, last := g.since(after)
		if last != uint64(k) {
			rt.Fatalf("last = %d, want %d", last, k)
		}
		var want []uint64
		for id := max(after, uint64(max(k-n, 0))) + 1; after < uint64(k) && id <= uint64(k); id++ {
			want = append(want, id)
		}
		if ids := eventIDs(got); !slices.Equal(ids, want) {
			rt.Fatalf("ids %v, want %v", ids, want)
		}
		for _, ev := range got {
			if ev.Point != fmt.Sprint("p", ev.ID) {
				rt.Fatalf("event %d holds %q", ev.ID, ev.Point)
			}
		}
	})
}

// TestRingConcurrent records from several goroutines while others read,
// and checks that every read is in order, within the window, and holds
// what its writer stored. Run it with -race.
func TestRingConcurrent(t *testing.T) {
	const (
		size    = 16
		writers = 4
		each    = 2000
	)
	g := newRing(size)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			labels := []chaos.Label{{Key: "w", Value: fmt.Sprint(w)}}
			for i := range each {
				g.Observe(context.Background(), chaos.Event{Point: fmt.Sprint(w), Seq: uint64(i), Labels: labels})
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			var after uint64
			for after < writers*each-size {
				evs, last := g.since(0)
				if len(evs) > size {
					t.Errorf("read %d events from a ring of %d", len(evs), size)
					return
				}
				for i, ev := range evs {
					if ev.ID > last || ev.ID+size <= last || (i > 0 && ev.ID <= evs[i-1].ID) {
						t.Errorf("event ids %v out of order or window (last %d)", eventIDs(evs), last)
						return
					}
					if ev.Labels[0].Value != ev.Point {
						t.Errorf("event %d mixes two writers: %+v", ev.ID, ev)
						return
					}
				}
				after = last
			}
		})
	}
	wg.Wait()
	if got := g.next.Load(); got != writers*each {
		t.Errorf("recorded %d events, want %d", got, writers*each)
	}
}

// TestEventsAfterNearMax checks that ?after= near the largest event id
// gives no events: after+1 must not wrap around to 0 and give them all.
func TestEventsAfterNearMax(t *testing.T) {
	e, h := newTest(t, WithEvents(4))
	if err := e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
		t.Fatal(err)
	}
	fire(e, "db.query", 3)
	for _, after := range []uint64{
		math.MaxUint64, math.MaxUint64 - 1, math.MaxUint64 - 2, math.MaxUint64 - 3, math.MaxUint64 - 4,
		math.MaxUint64 - 255, math.MaxUint64 - 256, 1 << 63, 4,
	} {
		path := "api/events?after=" + strconv.FormatUint(after, 10)
		v := decode[eventsView](t, do(t, h, req{method: "GET", path: path}))
		if len(v.Events) != 0 || v.Events == nil || v.Last != 3 {
			t.Errorf("%s: ids %v last %d, want none and last 3", path, eventIDs(v.Events), v.Last)
		}
	}
	if w := do(t, h, req{method: "GET", path: "api/events?after=18446744073709551616"}); w.Code != 400 {
		t.Errorf("after=2^64: %d, want 400", w.Code)
	}
}
