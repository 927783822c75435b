package chaoshttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// keepEvents is an observer that keeps every event, as an events ring or
// an exporter that batches might.
type keepEvents struct {
	mu     sync.Mutex
	events []chaos.Event
}

func (k *keepEvents) Observe(_ context.Context, ev chaos.Event) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.events = append(k.events, ev)
}

// TestHeaderLabelsAreCut checks the labels gathered from request headers:
// values up to chaos.MaxLabelValue bytes are kept whole, and longer ones
// are cut to that length in a copy of their own, which does not keep the
// header's memory alive.
func TestHeaderLabelsAreCut(t *testing.T) {
	t.Parallel()
	c := newConfig([]Option{WithHeaderLabel("X-Tenant", "tenant")})
	for _, size := range []int{0, 1, chaos.MaxLabelValue - 1, chaos.MaxLabelValue, chaos.MaxLabelValue + 1, 1 << 20} {
		value := strings.Repeat("t", size)
		h := http.Header{"X-Tenant": {value}}
		ls := c.Labels(nil, routepoint.MethodIndex("GET"), h)
		if len(ls) != 2 || ls[0] != routepoint.MethodLabel(0) || ls[1].Key != "tenant" {
			t.Fatalf("size %d: labels %q", size, ls)
		}
		got := ls[1].Value
		if want := value[:min(size, chaos.MaxLabelValue)]; got != want {
			t.Errorf("size %d: value of %d bytes, want %d", size, len(got), len(want))
		}
		if size > chaos.MaxLabelValue && shares(got, value) {
			t.Errorf("size %d: the cut value shares the header's memory", size)
		}
	}
}

// shares reports whether s lies in the memory of whole.
func shares(s, whole string) bool {
	if len(s) == 0 || len(whole) == 0 {
		return false
	}
	p, start := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(whole)))
	return p >= start && p < start+uintptr(len(whole))
}

// TestHeaderLabelsDoNotKeepHeadersAlive sends 256 requests with a 1 MiB
// header copied into a label through a middleware whose every request
// fires a fault, to an observer that keeps every event, and checks that
// the events keep far less than the 256 MiB of headers alive.
func TestHeaderLabelsDoNotKeepHeadersAlive(t *testing.T) {
	// Not parallel: it measures the heap.
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=status(503)`)); err != nil {
		t.Fatal(err)
	}
	var kept keepEvents
	defer e.AddObserver(&kept)()
	h := Middleware(e, WithHeaderLabel("X-Tenant", "tenant"))(benchHandler)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 256 {
		r := benchRequest()
		r.Header.Set("X-Tenant", strings.Repeat(string(rune('a'+i%26)), 1<<20))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 503 {
			t.Fatalf("request %d: status %d, want the fault's 503", i, rec.Code)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept.mu.Lock()
	defer kept.mu.Unlock()
	if len(kept.events) != 256 {
		t.Fatalf("%d events, want 256", len(kept.events))
	}
	for _, ev := range kept.events {
		for _, l := range ev.Labels {
			if len(l.Value) > chaos.MaxLabelValue {
				t.Fatalf("event keeps a label value of %d bytes", len(l.Value))
			}
		}
	}
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap in use grew by %.1f MiB", float64(grew)/(1<<20))
	if grew > 32<<20 {
		t.Errorf("heap in use grew by %.1f MiB after 256 MiB of headers, want under 32 MiB", float64(grew)/(1<<20))
	}
}
