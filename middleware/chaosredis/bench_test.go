package chaosredis_test

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosredis"
)

// getSetups are the clients the GET benchmarks compare: bare, hooked with
// no plan, and hooked with a rule that fails 1% of GETs.
func getSetups(tb testing.TB) []struct {
	name string
	e    *chaos.Engine
} {
	return []struct {
		name string
		e    *chaos.Engine
	}{
		{"bare", nil},
		{"disabled", chaos.New()},
		{"armed", engine(tb, "redis.get=1%error(bench)")},
	}
}

// BenchmarkGet reads one key from the real redis-server, through a bare
// client and through hooked ones, serially and in parallel.
func BenchmarkGet(b *testing.B) {
	for _, s := range getSetups(b) {
		c := newClient(b, s.e)
		k := key(b, "k")
		if err := c.Set(bg, k, "v", 0).Err(); err != nil {
			b.Fatal(err)
		}
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Get(bg, k).Err(); err != nil && !errors.Is(err, faults.ErrInjected) {
					b.Fatal(err)
				}
			}
		})
		b.Run(s.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.Get(bg, k).Err(); err != nil && !errors.Is(err, faults.ErrInjected) {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// nopProcess is the end of a hook chain that does no work, to measure the
// hook's own cost.
func nopProcess(context.Context, redis.Cmder) error { return nil }

// BenchmarkHookOverhead measures the hook alone around a command that goes
// nowhere: bare, with no plan, with a rule for another point, and armed.
func BenchmarkHookOverhead(b *testing.B) {
	cmd := redis.NewStringCmd(bg, "get", "k")
	for _, s := range []struct {
		name    string
		process redis.ProcessHook
	}{
		{"bare", nopProcess},
		{"disabled", chaosredis.Hook(chaos.New()).ProcessHook(nopProcess)},
		{"armed-other", chaosredis.Hook(engine(b, "redis.set=error")).ProcessHook(nopProcess)},
		{"armed", chaosredis.Hook(engine(b, "redis.get=1%error")).ProcessHook(nopProcess)},
	} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.process(bg, cmd)
			}
		})
	}
}

// TestDisabledAllocs holds the hook with no plan to the allocations of the
// bare client, on the real server, and to none of its own.
func TestDisabledAllocs(t *testing.T) {
	cmd := redis.NewStringCmd(bg, "get", "k")
	for _, s := range []struct {
		name string
		e    *chaos.Engine
	}{
		{"disabled", chaos.New()},
		{"armed-other", engine(t, "redis.set=error")},
	} {
		process := chaosredis.Hook(s.e).ProcessHook(nopProcess)
		if n := testing.AllocsPerRun(100, func() { process(bg, cmd) }); n != 0 {
			t.Errorf("hook %s: %v allocations per command, want 0", s.name, n)
		}
		pipeline := chaosredis.Hook(s.e).ProcessPipelineHook(func(context.Context, []redis.Cmder) error { return nil })
		cmds := []redis.Cmder{cmd, cmd}
		if n := testing.AllocsPerRun(100, func() { pipeline(bg, cmds) }); n != 0 {
			t.Errorf("pipeline hook %s: %v allocations per pipeline, want 0", s.name, n)
		}
	}

	bare, hooked := newClient(t, nil), newClient(t, chaos.New())
	k := key(t, "k")
	if err := bare.Set(bg, k, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	get := func(c *redis.Client) func() {
		return func() {
			if err := c.Get(bg, k).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var nb, nh float64
	for range 2 { // the first round warms the pools up
		nb = testing.AllocsPerRun(200, get(bare))
		nh = testing.AllocsPerRun(200, get(hooked))
	}
	if nh != nb {
		t.Errorf("GET through the hook with no plan: %v allocations, bare %v", nh, nb)
	}
	t.Logf("allocations per GET: bare %v, hooked %v", nb, nh)
}
