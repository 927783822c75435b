package chaos_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// The server-side cost of request directives (issue 16): at a point, for
// requests without a directive, with one that names other points and with
// one that fires there; and in AcceptDirective, for a token seen first,
// one seen before and one refused. Run them with
//
//	go test -run XXX -bench Directive -benchtime 300ms -count 3 ./chaos

// benchDirectiveEngine returns an engine that allows directives signed with
// key, accepts each as often as asked, and logs nothing.
func benchDirectiveEngine(key chaos.DirectiveKey) *chaos.Engine {
	return chaos.New(chaos.WithSeed(1), chaos.WithLogger(slog.New(slog.DiscardHandler)), chaos.WithDirectiveKeys(key),
		chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true, MaxUses: math.MaxInt}}))
}

// accepted returns ctx carrying the directive of plan, accepted by e.
func accepted(tb testing.TB, e *chaos.Engine, key chaos.DirectiveKey, plan string) context.Context {
	tb.Helper()
	ctx, err := e.AcceptDirective(context.Background(), mint(tb, key, plan, 5*time.Minute))
	if err != nil {
		tb.Fatal(err)
	}
	return ctx
}

// benchInjectUnder runs p.Inject(ctx) serially and in parallel, counting
// the errors so the work cannot be optimised away.
func benchInjectUnder(b *testing.B, p *chaos.Point, ctx context.Context) {
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			if p.Inject(ctx) != nil {
				n++
			}
		}
		sink.Add(n)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var n int64
			for pb.Next() {
				if p.Inject(ctx) != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}

// BenchmarkDirectivePoint measures a point's call under each kind of
// request, from the floor up:
//
//   - atomic-load: a bare atomic.Pointer load and nil check, the floor;
//   - plain/disarmed: a point no rule names on an engine that does not
//     allow directives, as every call is today;
//   - allowing/no-directive: the same on an engine that allows them, for
//     a request without one: what allowing them costs everyone else;
//   - allowing/other-point: a request whose accepted directive names
//     other points;
//   - directive-fires: a point the request's directive fires an error at;
//   - plan-fires: the same error from the engine's plan, to compare.
func BenchmarkDirectivePoint(b *testing.B) {
	key := testKey("k1")
	bg := context.Background()
	b.Run("atomic-load", BenchmarkBaselineAtomicLoad)
	b.Run("plain/disarmed", func(b *testing.B) {
		benchInjectUnder(b, chaos.New(chaos.WithSeed(1)).Point("bench"), bg)
	})
	allow := benchDirectiveEngine(key)
	b.Run("allowing/no-directive", func(b *testing.B) {
		benchInjectUnder(b, allow.Point("bench"), bg)
	})
	b.Run("allowing/other-point", func(b *testing.B) {
		benchInjectUnder(b, allow.Point("bench"), accepted(b, allow, key, "elsewhere=error"))
	})
	b.Run("directive-fires", func(b *testing.B) {
		benchInjectUnder(b, allow.Point("bench"), accepted(b, allow, key, "bench=error(boom)"))
	})
	b.Run("plan-fires", func(b *testing.B) {
		benchInjectUnder(b, benchEngine(b, "bench=error(boom)"), bg)
	})
}

// mintMany returns n distinct tokens of plan, signed with key.
func mintMany(tb testing.TB, key chaos.DirectiveKey, plan string, n int) []string {
	tb.Helper()
	toks := make([]string, n)
	now := time.Now()
	for i := range toks {
		var err error
		toks[i], err = chaos.Directive{ID: fmt.Sprintf("bench-%d", i), Plan: chaos.MustParsePlan(plan),
			IssuedAt: now, Expires: now.Add(5 * time.Minute)}.Sign(key)
		if err != nil {
			tb.Fatal(err)
		}
	}
	return toks
}

// BenchmarkAcceptDirective measures Engine.AcceptDirective:
//
//   - first: a token the engine has not seen (verify, parse, check against
//     the policy, compile, cache), into a cache with room;
//   - first-cache-full: the same into a full cache (1024 directives), which
//     must make room first;
//   - cached: a token it accepted before: a cache lookup and a use counted;
//   - refused/bad-signature, refused/unknown-key, refused/not-allowed:
//     what a forged or stray token costs.
//
// Each iteration of first takes a fresh token from a pool minted before
// the timer starts; when the pool runs out the engine is replaced, with
// the timer stopped.
func BenchmarkAcceptDirective(b *testing.B) {
	key := testKey("k1")
	bg := context.Background()
	first := func(fill int) func(b *testing.B) {
		return func(b *testing.B) {
			pool := mintMany(b, key, "bench=error(boom)", 1000)
			filler := mintMany(b, key, "filler=error", fill)
			fresh := func() *chaos.Engine {
				e := benchDirectiveEngine(key)
				for _, tok := range filler {
					if _, err := e.AcceptDirective(bg, tok); err != nil {
						b.Fatal(err)
					}
				}
				return e
			}
			e, i := fresh(), 0
			b.ReportAllocs()
			for b.Loop() {
				if i == len(pool) {
					b.StopTimer()
					e, i = fresh(), 0
					b.StartTimer()
				}
				if _, err := e.AcceptDirective(bg, pool[i]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		}
	}
	b.Run("first", first(0))
	b.Run("first-cache-full", first(1024))
	b.Run("cached", func(b *testing.B) {
		e := benchDirectiveEngine(key)
		tok := mint(b, key, "bench=error(boom)", 5*time.Minute)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.AcceptDirective(bg, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	good := mint(b, key, "bench=error(boom)", 5*time.Minute)
	forged := []byte(good)
	forged[len(forged)-5] ^= 'A' ^ 'B' // in the signature: A and B are both base64url
	if forged[len(forged)-5] != 'A' && forged[len(forged)-5] != 'B' {
		forged[len(forged)-5] = 'A'
	}
	refused := []struct {
		name  string
		e     *chaos.Engine
		token string
	}{
		{"bad-signature", benchDirectiveEngine(key), string(forged)},
		{"unknown-key", benchDirectiveEngine(testKey("k2")), good},
		{"not-allowed", chaos.New(chaos.WithLogger(slog.New(slog.DiscardHandler)), chaos.WithDirectiveKeys(key)), good},
	}
	for _, r := range refused {
		b.Run("refused/"+r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.e.AcceptDirective(bg, r.token); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// BenchmarkVerifyDirective measures VerifyDirective alone: the signature
// checked, the payload and its plan parsed, the times checked.
func BenchmarkVerifyDirective(b *testing.B) {
	key := testKey("k1")
	for _, plan := range []string{"bench=error(boom)", "payments.charge=10%delay(200ms);db.query=3*error(timeout)[after=2];\"GET /users/{id}\"=5%status(503)[label.tenant=acme]"} {
		tok := mint(b, key, plan, 5*time.Minute)
		b.Run(fmt.Sprintf("%d-bytes", len(tok)), func(b *testing.B) {
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := chaos.VerifyDirective(tok, now, testKey("k0"), key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDirectiveForward measures the client side within package chaos:
// finding the token a request carries, to forward it (none, or one
// accepted), and starting a request with one (WithDirectiveToken).
func BenchmarkDirectiveForward(b *testing.B) {
	key := testKey("k1")
	e := benchDirectiveEngine(key)
	tok := mint(b, key, "bench=error(boom)", 5*time.Minute)
	ctx := accepted(b, e, key, "bench=error(boom)")
	for _, bm := range []struct {
		name string
		ctx  context.Context
	}{{"token/none", context.Background()}, {"token/accepted", ctx}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int64
			for b.Loop() {
				n += int64(len(chaos.DirectiveToken(bm.ctx)))
			}
			sink.Add(n)
		})
	}
	b.Run("with-token", func(b *testing.B) {
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			n += int64(len(chaos.DirectiveToken(chaos.WithDirectiveToken(context.Background(), tok))))
		}
		sink.Add(n)
	})
}

// TestDirectiveZeroAllocs holds the per-call paths of an engine that
// allows directives to no allocation: a point under a request without a
// directive, or with one that names other points, and a point that fires
// the directive's precomputed error.
func TestDirectiveZeroAllocs(t *testing.T) {
	key := testKey("k1")
	e := chaos.New(chaos.WithSeed(1), chaos.WithDirectiveKeys(key),
		chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true, MaxUses: math.MaxInt}}))
	tests := []struct {
		name  string
		ctx   context.Context
		fires bool
	}{
		{"no directive", context.Background(), false},
		{"directive naming other points", accepted(t, e, key, "elsewhere=error"), false},
		{"directive firing", accepted(t, e, key, "p=error(boom)"), true},
	}
	p := e.Point("p")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fired := p.Inject(tt.ctx) != nil; fired != tt.fires {
				t.Fatalf("Inject fired %v, want %v", fired, tt.fires)
			}
			if n := testing.AllocsPerRun(1000, func() { _ = p.Inject(tt.ctx) }); n != 0 {
				t.Errorf("Inject: %v allocations per call, want 0", n)
			}
			if n := testing.AllocsPerRun(1000, func() { _ = p.Decide(tt.ctx) }); n != 0 {
				t.Errorf("Decide: %v allocations per call, want 0", n)
			}
		})
	}
}
