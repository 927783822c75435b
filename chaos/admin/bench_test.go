package admin

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// BenchmarkObserve measures recording one event in the ring, against a bare
// atomic add, serially and from every core.
func BenchmarkObserve(b *testing.B) {
	ctx := context.Background()
	ev := chaos.Event{Point: "db.query", Fault: faults.Error("x"), Seq: 1}
	labelled := ev
	labelled.Labels = []chaos.Label{{Key: "tenant", Value: "acme"}}
	b.Run("atomic-add", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Uint64
		for b.Loop() {
			n.Add(1)
		}
	})
	b.Run("ring", func(b *testing.B) {
		b.ReportAllocs()
		g := newRing(DefaultEvents)
		for b.Loop() {
			g.Observe(ctx, ev)
		}
	})
	b.Run("ring/labels", func(b *testing.B) {
		b.ReportAllocs()
		g := newRing(DefaultEvents)
		for b.Loop() {
			g.Observe(ctx, labelled)
		}
	})
	b.Run("atomic-add/parallel", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n.Add(1)
			}
		})
	})
	b.Run("ring/parallel", func(b *testing.B) {
		b.ReportAllocs()
		g := newRing(DefaultEvents)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				g.Observe(ctx, ev)
			}
		})
	})
}

// BenchmarkInject measures a point whose rule fires on every call, without
// and with the admin handler's observer: the cost the handler adds to a
// fault that fires. Points that do not fire never reach the observer.
func BenchmarkInject(b *testing.B) {
	for _, withAdmin := range []bool{false, true} {
		e := chaos.New(chaos.WithSeed(1))
		if err := e.Apply(chaos.MustParsePlan("db.query=error(x)")); err != nil {
			b.Fatal(err)
		}
		if withAdmin {
			h := New(e, WithToken(testToken))
			b.Cleanup(func() { h.Close() })
		}
		p := e.Point("db.query")
		ctx := context.Background()
		name := fmt.Sprintf("admin=%v", withAdmin)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = p.Inject(ctx)
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_ = p.Inject(ctx)
				}
			})
		})
	}
}

// BenchmarkServe measures reading the API and rendering the page for an
// engine with 50 points and a full event buffer.
func BenchmarkServe(b *testing.B) {
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan("svc.*=10%error(x)")); err != nil {
		b.Fatal(err)
	}
	for i := range 50 {
		fire(e, fmt.Sprintf("svc.op%02d", i), 100)
	}
	h := New(e, WithToken(testToken))
	b.Cleanup(func() { h.Close() })
	benchGET(b, h, "/api/status", "/api/plan", "/api/stats", "/api/events", "/")
}

// BenchmarkPage100kPoints measures the page and api/stats of an engine
// with 100,000 points, against the baseline of reading the engine's
// counters (chaos.Engine.Stats), which both must do: the page shows one
// page of points, so rendering adds little to it.
func BenchmarkPage100kPoints(b *testing.B) {
	e, h := hundredK()
	b.Run("baseline/engine-stats", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = e.Stats()
		}
	})
	benchGET(b, h, "/", "/?page=500", "/?q=op09999", "/api/stats", "/api/stats?q=op09999", "/api/status")
}

// benchGET runs a sub-benchmark per path, each a GET with the token that
// must answer 200.
func benchGET(b *testing.B, h *Handler, paths ...string) {
	for _, path := range paths {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Authorization", "Bearer "+testToken)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("GET %s: status %d", path, w.Code)
				}
			}
		})
	}
}
