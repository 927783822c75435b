package resilience_test

// Chaos-driven tests: a chaos.Engine injects errors and latency into an
// operation at rates the test draws, and a Retry → Breaker → Timeout chain
// must keep the success rate and latency bounds stated below, identically for
// the same seed. The operation calls e.Point("dep.call").Inject(ctx), as a
// service's own code would.
//
// Every test here predicts the chain's behaviour with a small model fed by a
// second engine built with the same seed and plan: decisions are a pure
// function of the seed, the point, the rule and the call's sequence number at
// the point, so the shadow engine yields exactly the faults the real one
// injects, in the same order, as long as calls are made one after another.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// chaosScenario is one draw of the chaos-driven property: the faults' rates and
// size, the engine's seed, and the chain's settings.
type chaosScenario struct {
	seed        uint64
	errPct      int           // rate of the error rule, in percent
	latPct      int           // rate of the latency rule, in percent
	latency     time.Duration // what the latency rule waits
	attempts    int           // Retry.MaxAttempts
	consecutive int           // WithConsecutiveFailures
	jitter      float64       // Retry.Jitter: -1 (none) or 0.5
	inline      bool          // Timeout.Inline
}

// Fixed settings of the chaos-driven property, in simulated time. The breaker's
// open timeout is shorter than the shortest backoff wait (initial*(1-jitter))
// and than the pause between calls, so an open breaker has always moved to
// half-open by the time it is asked again: with calls made one after another
// it never rejects, and the calls' outcomes are independent trials.
const (
	chaosCalls       = 100
	chaosPoint       = "dep.call"
	chaosTimeout     = 100 * time.Millisecond
	chaosInitial     = 20 * time.Millisecond
	chaosMaxInterval = 80 * time.Millisecond
	chaosOpenTimeout = 5 * time.Millisecond
	chaosPause       = 10 * time.Millisecond
)

func drawScenario(t *rapid.T) chaosScenario {
	return chaosScenario{
		seed:   rapid.Uint64().Draw(t, "seed"),
		errPct: rapid.IntRange(0, 30).Draw(t, "errorPercent"),
		latPct: rapid.IntRange(0, 50).Draw(t, "latencyPercent"),
		// Either side of the timeout, never on it: an op that returns exactly at
		// the deadline may count either way.
		latency: time.Duration(rapid.IntRange(1, 250).Filter(func(ms int) bool {
			return ms != int(chaosTimeout/time.Millisecond)
		}).Draw(t, "latencyMs")) * time.Millisecond,
		attempts:    rapid.IntRange(2, 4).Draw(t, "attempts"),
		consecutive: rapid.IntRange(1, 4).Draw(t, "consecutiveFailures"),
		jitter:      rapid.SampledFrom([]float64{-1, 0.5}).Draw(t, "jitter"),
		inline:      rapid.Bool().Draw(t, "inlineTimeout"),
	}
}

func (s chaosScenario) plan() chaos.Plan {
	return chaos.Plan{Version: "chaos-driven", Rules: []chaos.Rule{
		{Point: chaosPoint, Fault: faults.Error("dependency unavailable"), Rate: float64(s.errPct) / 100},
		{Point: chaosPoint, Fault: faults.Latency(s.latency), Rate: float64(s.latPct) / 100},
	}}
}

// attemptFailure is f, the chance that one attempt fails: the error rule
// fires, or it does not and the latency rule fires with a latency past the
// timeout.
func (s chaosScenario) attemptFailure() float64 {
	p, q := float64(s.errPct)/100, float64(s.latPct)/100
	if s.latency > chaosTimeout {
		return p + (1-p)*q
	}
	return p
}

// waits returns the nominal backoff waits after attempts 1 … attempts-1, as
// backoff.ExponentialBackOff computes them before jitter.
func (s chaosScenario) waits() []time.Duration {
	ws := make([]time.Duration, s.attempts-1)
	w := chaosInitial
	for i := range ws {
		ws[i] = w
		if float64(w) >= float64(chaosMaxInterval)/resilience.DefaultMultiplier {
			w = chaosMaxInterval
		} else {
			w = time.Duration(float64(w) * resilience.DefaultMultiplier)
		}
	}
	return ws
}

// spread is the most jitter can move a wait either way.
func (s chaosScenario) spread() float64 { return max(s.jitter, 0) }

// latencyBound is the stated bound on one call's latency: every attempt takes
// at most the timeout, and every wait at most its nominal value times
// (1+jitter).
func (s chaosScenario) latencyBound() time.Duration {
	bound := time.Duration(s.attempts) * chaosTimeout
	for _, w := range s.waits() {
		bound += time.Duration(float64(w)*(1+s.spread())) + 1 // backoff may round up by 1ns
	}
	return bound
}

// chaosRun is what a run of the scenario did.
type chaosRun struct {
	Calls   []callOutcome
	Changes []string      // breaker state changes
	Total   time.Duration // simulated time from first call to last pause
}

// run makes chaosCalls calls through a fresh engine and chain, one after
// another with a pause between them. It must run in a synctest bubble.
func (s chaosScenario) run(t *rapid.T) chaosRun {
	t.Helper()
	e := chaos.New(chaos.WithSeed(s.seed))
	if err := e.Apply(s.plan()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	point := e.Point(chaosPoint)

	var r chaosRun
	retries := 0
	chain := resilience.Chain(
		resilience.Retry{
			MaxAttempts:     s.attempts,
			InitialInterval: chaosInitial,
			MaxInterval:     chaosMaxInterval,
			Jitter:          s.jitter,
			OnRetry:         func(int, error, time.Duration) { retries++ },
		},
		resilience.NewBreaker("chaos",
			resilience.WithConsecutiveFailures(s.consecutive),
			resilience.WithOpenTimeout(chaosOpenTimeout),
			resilience.WithOnStateChange(func(_ string, from, to resilience.State) {
				r.Changes = append(r.Changes, from.String()+"->"+to.String())
			})),
		resilience.Timeout{Duration: chaosTimeout, Inline: s.inline},
	)
	op := func(ctx context.Context) error { return point.Inject(ctx) }

	ctx := context.Background()
	begin := time.Now()
	for range chaosCalls {
		retries = 0
		start := time.Now()
		err := chain.Run(ctx, op)
		r.Calls = append(r.Calls, callOutcome{Attempts: retries + 1, Result: classify(err), Latency: time.Since(start)})
		time.Sleep(chaosPause)
	}
	r.Total = time.Since(begin)
	return r
}

// model predicts the run from the decisions of a shadow engine with the same
// seed and plan, using nominal backoff waits.
func (s chaosScenario) model(t *rapid.T) chaosRun {
	t.Helper()
	shadow := chaos.New(chaos.WithSeed(s.seed))
	if err := shadow.Apply(s.plan()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	point := shadow.Point(chaosPoint)
	ctx := context.Background()
	next := func() attemptOutcome {
		d := point.Decide(ctx)
		switch d.Kind() {
		case faults.KindNone:
			return attemptOutcome{ok: true, result: "ok"}
		case faults.KindLatency:
			if d.Delay() < chaosTimeout {
				return attemptOutcome{ok: true, took: d.Delay(), result: "ok"}
			}
			return attemptOutcome{took: chaosTimeout, result: "timeout"}
		}
		return attemptOutcome{result: "injected"}
	}
	b := &modelBreaker{consecutive: s.consecutive, reopens: true}
	waits := s.waits()
	var r chaosRun
	for range chaosCalls {
		c := modelCall(s.attempts, b, waits, next)
		r.Calls = append(r.Calls, c)
		r.Total += c.Latency + chaosPause
	}
	r.Changes = b.changes
	return r
}

// sameRun reports whether two runs agree, in their latencies and total time
// too if withTime is set. It is the cheap test; diffRuns explains a mismatch.
func sameRun(a, b chaosRun, withTime bool) bool {
	if len(a.Calls) != len(b.Calls) || !slices.Equal(a.Changes, b.Changes) || (withTime && a.Total != b.Total) {
		return false
	}
	for i, c := range a.Calls {
		d := b.Calls[i]
		if c.Attempts != d.Attempts || c.Result != d.Result || (withTime && c.Latency != d.Latency) {
			return false
		}
	}
	return true
}

// diffRuns shows how two runs differ, as sameRun compares them.
func diffRuns(a, b chaosRun, withTime bool) string {
	var opts cmp.Options
	if !withTime {
		opts = append(opts, cmp.FilterPath(func(p cmp.Path) bool {
			last := p.Last().String()
			return last == ".Latency" || last == ".Total"
		}, cmp.Ignore()))
	}
	return cmp.Diff(a, b, opts)
}

// TestChaosChainBounds is the chaos-driven property of the chain
//
//	Retry{MaxAttempts: k, InitialInterval: 20ms, MaxInterval: 80ms, Jitter: J}
//	→ Breaker{ConsecutiveFailures: c, OpenTimeout: 5ms}
//	→ Timeout{Duration: T = 100ms, Inline: drawn}
//	→ op: e.Point("dep.call").Inject(ctx)
//
// with the plan "dep.call = p error; dep.call = q delay(L)" for drawn p ≤ 30%,
// q ≤ 50%, L in 1ms…250ms (never T), k in 2…4, c in 1…4, J none or 0.5 and a
// drawn seed, over N = 100 calls made one after another, 10ms apart, in a
// synctest bubble.
//
// One attempt fails with probability f = p + (1-p)·q when L > T (the latency
// rule fires and the timeout cuts it), and f = p otherwise. The breaker's open
// timeout is shorter than any wait before it is asked again, so it never
// rejects, and a call fails only when all k of its attempts fail: calls are
// independent trials that fail with probability f^k. The property checks
//
//   - success: at most binomialQuantile(N, f^k, 1e-9) calls fail, that is a
//     success ratio of at least 1 - f^k - slack, where the slack is the
//     binomial tail at 1e-9 (for p = 30%, q = 0 and k = 3: f^k = 2.7%, at
//     most 17 failures in 100; the exact check against the model below is the
//     sharp one);
//   - latency: each call takes at most k·T + Σ w_j·(1+J) of simulated time,
//     w_j being the nominal backoff waits (20ms, 40ms, 80ms);
//   - the model: each call's attempts and outcome, and the breaker's state
//     changes, are what a model fed by a shadow engine with the same seed
//     predicts, and without jitter each call's latency is exactly the model's
//     (attempt durations plus nominal waits), within the jitter band otherwise;
//   - determinism: a second run with a fresh engine and breaker and the same
//     seed gives the same outcomes, state changes and, without jitter, the
//     same latencies and total simulated time to the nanosecond. (Jitter comes
//     from backoff's own random source, which no chaos seed controls, so
//     with jitter only the outcomes are compared; they do not depend on the
//     waits here.)
func TestChaosChainBounds(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		s := drawScenario(rt)
		rapid.SyncTest(rt, func(rt *rapid.T) {
			first := s.run(rt)
			second := s.run(rt)
			want := s.model(rt)

			// Success rate.
			f := s.attemptFailure()
			failed := 0
			for _, c := range first.Calls {
				if c.Result != "ok" {
					failed++
				}
			}
			if bound := binomialQuantile(chaosCalls, math.Pow(f, float64(s.attempts)), falseAlarm); failed > bound {
				rt.Fatalf("%d of %d calls failed, more than the %d allowed for f=%.3f, f^%d=%.4f",
					failed, chaosCalls, bound, f, s.attempts, math.Pow(f, float64(s.attempts)))
			}

			// Latency bound, and the model's exact latency (or jitter band).
			bound := s.latencyBound()
			waits := s.waits()
			for i, c := range first.Calls {
				if c.Latency > bound {
					rt.Fatalf("call %d took %v, more than the bound %v", i, c.Latency, bound)
				}
				m := want.Calls[i]
				nominal := time.Duration(0)
				for _, w := range waits[:m.Attempts-1] {
					nominal += w
				}
				spread := time.Duration(float64(nominal)*s.spread()) + time.Duration(m.Attempts)
				if s.jitter < 0 {
					spread = 0
				}
				if c.Latency < m.Latency-spread || c.Latency > m.Latency+spread {
					rt.Fatalf("call %d took %v, model says %v ± %v", i, c.Latency, m.Latency, spread)
				}
			}

			// Outcomes and state changes match the model, and replay.
			withTime := s.jitter < 0
			if !sameRun(want, first, withTime) {
				rt.Fatalf("run differs from the model (-model +run):\n%s", diffRuns(want, first, withTime))
			}
			if !sameRun(first, second, withTime) {
				rt.Fatalf("same seed, different runs (-first +second):\n%s", diffRuns(first, second, withTime))
			}
		})
	})
}

// TestChaosChainOutage drives the chain through a full outage: the dependency
// fails every call for its first second (a rule with a TTL), then recovers.
// The breaker must turn the outage into fast rejections, so that far fewer
// calls reach the dependency than without it, and the chain must recover
// within one open timeout of the outage's end. The expected timeline, with a
// call every 50ms, three attempts 10ms apart, a breaker that opens after three
// failures for 300ms:
//
//	  0ms  call 1: attempts at 0, 10, 20ms fail; the breaker opens at 20ms
//	 50ms  calls 2…7 (to 300ms) are rejected at once, without an attempt
//	350ms  call 8: the half-open trial fails (reopens until 650ms); the
//	       retry 10ms later is rejected
//	700ms  call 15: the same (reopens until 1000ms)
//	1050ms call 22: the trial succeeds (the outage ended at 1000ms); closed
//
// so 17 of the 20 calls made during the outage are rejected without reaching
// the dependency, which sees 5 attempts instead of the 60 a chain without a
// breaker would make, and no call takes longer than its two 10ms waits.
func TestChaosChainOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(7))
		const outage = time.Second
		if err := e.Apply(chaos.Plan{Rules: []chaos.Rule{
			{Point: chaosPoint, Fault: faults.Error("dependency down"), Rate: 1, TTL: outage},
		}}); err != nil {
			t.Fatal(err)
		}
		point := e.Point(chaosPoint)
		t0 := time.Now()

		var changes []string
		retries := 0
		chain := resilience.Chain(
			resilience.Retry{MaxAttempts: 3, InitialInterval: 10 * time.Millisecond, MaxInterval: 10 * time.Millisecond, Jitter: -1,
				OnRetry: func(int, error, time.Duration) { retries++ }},
			resilience.NewBreaker("",
				resilience.WithConsecutiveFailures(3),
				resilience.WithOpenTimeout(300*time.Millisecond),
				resilience.WithOnStateChange(func(_ string, from, to resilience.State) {
					changes = append(changes, fmt.Sprintf("%v:%v->%v", time.Since(t0), from, to))
				})),
			resilience.Timeout{Duration: 100 * time.Millisecond},
		)
		evaluations := func() uint64 {
			for _, ps := range e.Stats().Points {
				if ps.Point == chaosPoint {
					return ps.Evaluations
				}
			}
			return 0
		}

		ctx := context.Background()
		var got []string
		inOutage := uint64(0)
		for i := range 40 {
			time.Sleep(time.Until(t0.Add(time.Duration(i) * 50 * time.Millisecond)))
			retries = 0
			start := time.Now()
			err := chain.Run(ctx, point.Inject)
			if took := time.Since(start); took > 20*time.Millisecond {
				t.Errorf("call %d took %v, more than its two waits", i+1, took)
			}
			got = append(got, fmt.Sprintf("%d:%s", retries+1, classify(err)))
			if i == 19 {
				inOutage = evaluations()
			}
		}

		want := []string{"3:injected"}
		for range 6 {
			want = append(want, "1:open")
		}
		for range 2 {
			want = append(want, "2:open")
			for range 6 {
				want = append(want, "1:open")
			}
		}
		for len(want) < 40 {
			want = append(want, "1:ok")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("calls (-want +got), as attempts:outcome:\n%s", diff)
		}
		if inOutage != 5 {
			t.Errorf("the dependency saw %d attempts during the outage, want 5 (60 without a breaker)", inOutage)
		}
		wantChanges := []string{
			"20ms:closed->open",
			"350ms:open->half-open", "350ms:half-open->open",
			"700ms:open->half-open", "700ms:half-open->open",
			"1.05s:open->half-open", "1.05s:half-open->closed",
		}
		if diff := cmp.Diff(wantChanges, changes); diff != "" {
			t.Errorf("breaker state changes (-want +got):\n%s", diff)
		}
	})
}
