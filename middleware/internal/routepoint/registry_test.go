package routepoint

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// TestRegistry checks the names of the points a registry hands out, the
// bound on keys and the fallback past it, for the naming of echo and gin
// (a nil fixed) and of chaoshttp (a fixed point per key, a fixed fallback).
func TestRegistry(t *testing.T) {
	fixedIfSpaced := func(key string) string {
		if strings.Contains(key, " ") {
			return key
		}
		return ""
	}
	type lookup struct {
		key    string
		method string
		want   string
	}
	tests := []struct {
		name     string
		max      int
		fixed    func(string) string
		fallback string
		lookups  []lookup
	}{
		{
			name: "one point per method word",
			max:  DefaultMaxPoints,
			lookups: []lookup{
				{"/orders/:id", "GET", "GET /orders/:id"},
				{"/orders/:id", "POST", "POST /orders/:id"},
				{"/orders/:id", "", "GET /orders/:id"},
				{"/orders/:id", "BREW", "OTHER /orders/:id"},
				{"", "DELETE", "DELETE (unmatched)"},
				{"", "PROPFIND", "OTHER (unmatched)"},
			},
		},
		{
			name: "the bound sends new keys to the fallback",
			max:  2,
			lookups: []lookup{
				{"/a", "GET", "GET /a"},
				{"/b", "PUT", "PUT /b"},
				{"/c", "GET", "GET (unmatched)"},
				{"/c", "HEAD", "HEAD (unmatched)"},
				{"/a", "POST", "POST /a"}, // keys within the bound stay
			},
		},
		{
			name: "a negative bound is none",
			max:  -1,
			lookups: []lookup{
				{"/a", "GET", "GET /a"},
				{"/b", "GET", "GET /b"},
				{"/c", "GET", "GET /c"},
			},
		},
		{
			name:     "fixed points and a fixed fallback",
			max:      1,
			fixed:    fixedIfSpaced,
			fallback: "client (other)",
			lookups: []lookup{
				{"GET /x", "POST", "GET /x"},
				{"/y", "GET", "client (other)"},
				{"", "GET", "client (other)"},
			},
		},
		{
			name:  "a key without a fixed name has one point per method",
			max:   0,
			fixed: fixedIfSpaced,
			lookups: []lookup{
				{"/y", "PATCH", "PATCH /y"},
				{"PUT /z", "GET", "PUT /z"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New()
			g := NewRegistry(e, tt.max, tt.fixed, tt.fallback)
			for _, l := range tt.lookups {
				p := g.Point(g.Route(l.key), MethodIndex(l.method))
				if p.Name() != l.want {
					t.Errorf("point of %q %q = %q, want %q", l.method, l.key, p.Name(), l.want)
				}
				if p != e.Point(l.want) {
					t.Errorf("point of %q %q is not the engine's point %q", l.method, l.key, l.want)
				}
			}
		})
	}
}

// TestRegistryConcurrent adds more keys than the bound from many
// goroutines and checks that exactly the bound of keys got their own
// points, and every other request the fallback's.
func TestRegistryConcurrent(t *testing.T) {
	const max, keys, workers = 16, 64, 8
	e := chaos.New()
	g := NewRegistry(e, max, nil, "")
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		named = map[string]bool{}
	)
	for w := range workers {
		wg.Go(func() {
			for i := range keys {
				p := g.Point(g.Route(fmt.Sprintf("/k/%d", (i+w)%keys)), 0)
				mu.Lock()
				named[p.Name()] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if !named["GET (unmatched)"] {
		t.Errorf("no request went to the fallback: %v", named)
	}
	delete(named, "GET (unmatched)")
	if len(named) != max {
		t.Errorf("%d keys have points, want %d", len(named), max)
	}
}

// TestRegistryCached checks that Cached keeps the first key's route and
// finds other keys through the registry, and never keeps the fallback.
func TestRegistryCached(t *testing.T) {
	g := NewRegistry(chaos.New(), 1, nil, "")
	var first atomic.Pointer[Route]
	if rt := g.Cached(&first, ""); rt != g.Fallback() || first.Load() != nil {
		t.Fatalf("the empty key: route %v, first %v", rt, first.Load())
	}
	a := g.Cached(&first, "/a")
	if a.Key() != "/a" || first.Load() != a {
		t.Fatalf("first key: route %q, first %v", a.Key(), first.Load())
	}
	if rt := g.Cached(&first, strings.Clone("/a")); rt != a {
		t.Errorf("an equal key in other memory found another route")
	}
	if rt := g.Cached(&first, "/b"); rt != g.Fallback() || first.Load() != a {
		t.Errorf("a key past the bound: route %q, first %q", rt.Key(), first.Load().Key())
	}
}

func TestMethodIndex(t *testing.T) {
	for i, m := range Methods[:NumMethods-1] {
		if got := MethodIndex(m); got != i {
			t.Errorf("MethodIndex(%q) = %d, want %d", m, got, i)
		}
		if l := MethodLabel(i); l.Key != LabelMethod || l.Value != m {
			t.Errorf("MethodLabel(%d) = %v", i, l)
		}
	}
	for _, m := range []string{"", "get", "PROPFIND", "OTHER"} {
		want := "OTHER"
		if m == "" {
			want = "GET"
		}
		if got := Methods[MethodIndex(m)]; got != want {
			t.Errorf("method word of %q = %q, want %q", m, got, want)
		}
	}
	if !slices.Contains(Methods[:], "OTHER") {
		t.Error("no OTHER method word")
	}
}
