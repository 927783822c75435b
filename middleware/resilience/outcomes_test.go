package resilience_test

// What became of injected faults: real retries and fallbacks over real faults
// from a real engine, and the counts chaos.PointStats then shows (see
// "Injected faults" in the package documentation).

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// outcomes is what the stats say of a point: faults fired, absorbed and
// escaped.
type outcomes struct{ Fired, Absorbed, Escaped uint64 }

func outcomesOf(e *chaos.Engine, point string) outcomes {
	for _, ps := range e.Stats().Points {
		if ps.Point == point {
			return outcomes{ps.Fired, ps.Absorbed, ps.Escaped}
		}
	}
	return outcomes{}
}

// engineWith returns an engine of fixed seed with plan applied.
func engineWith(t testing.TB, plan string) *chaos.Engine {
	t.Helper()
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
		t.Fatal(err)
	}
	return e
}

// now is a Retry that makes n attempts with no wait between them, so these
// tests need neither a clock nor a bubble.
func now(n int) resilience.Retry {
	return resilience.Retry{MaxAttempts: n, InitialInterval: -1}
}

// fallback runs op under s inside a Fallback of the value "cached".
func fallback(f resilience.Fallback[string], s resilience.Strategy) func(context.Context, func(context.Context) error) error {
	return func(ctx context.Context, op func(context.Context) error) error {
		_, err := f.Do(ctx, s, func(ctx context.Context) (string, error) { return "live", op(ctx) })
		return err
	}
}

// TestOutcomes: each call settles what its injected errors became once, at
// the outermost Retry or fallback; layers that recover nothing count nothing.
func TestOutcomes(t *testing.T) {
	errCache := errors.New("cache miss")
	tests := []struct {
		name    string
		plan    string
		calls   int
		run     func(ctx context.Context, op func(context.Context) error) error
		wantErr bool
		want    outcomes
	}{
		{name: "no resilience", plan: "x=error", calls: 3,
			run:     func(ctx context.Context, op func(context.Context) error) error { return op(ctx) },
			wantErr: true, want: outcomes{3, 0, 0}},
		{name: "retry absorbs the attempts before a success", plan: "x=2*error", calls: 1,
			run: now(3).Run, want: outcomes{2, 2, 0}},
		{name: "retry absorbs one", plan: "x=1*error", calls: 2,
			run: now(3).Run, want: outcomes{1, 1, 0}},
		{name: "retry that gives up lets every attempt escape", plan: "x=error", calls: 1,
			run: now(3).Run, wantErr: true, want: outcomes{3, 0, 3}},
		{name: "one attempt", plan: "x=error", calls: 2,
			run: now(1).Run, wantErr: true, want: outcomes{2, 0, 2}},
		{name: "abort is an error fault", plan: "x=abort", calls: 1,
			run: now(2).Run, wantErr: true, want: outcomes{2, 0, 2}},
		{name: "permanent stops and escapes", plan: "x=error", calls: 1,
			run: func(ctx context.Context, op func(context.Context) error) error {
				return now(3).Run(ctx, func(ctx context.Context) error { return resilience.Permanent(op(ctx)) })
			},
			wantErr: true, want: outcomes{1, 0, 1}},
		{name: "fallback value absorbs the retry's attempts", plan: "x=error", calls: 1,
			run: fallback(resilience.Fallback[string]{Value: "cached"}, now(3)), want: outcomes{3, 3, 0}},
		{name: "fallback with no strategy", plan: "x=error", calls: 4,
			run: fallback(resilience.Fallback[string]{}, nil), want: outcomes{4, 4, 0}},
		{name: "fallback func that fails", plan: "x=error", calls: 1,
			run: fallback(resilience.Fallback[string]{Func: func(context.Context, error) (string, error) {
				return "", errCache
			}}, now(3)),
			wantErr: true, want: outcomes{3, 0, 3}},
		{name: "fallback func that wraps", plan: "x=error", calls: 1,
			run: fallback(resilience.Fallback[string]{Func: func(_ context.Context, err error) (string, error) {
				return "", fmt.Errorf("no cache either: %w", err)
			}}, now(2)),
			wantErr: true, want: outcomes{2, 0, 2}},
		{name: "fallback declined by When", plan: "x=error", calls: 1,
			run:     fallback(resilience.Fallback[string]{When: func(error) bool { return false }}, now(3)),
			wantErr: true, want: outcomes{3, 0, 3}},
		{name: "fallback func first in a chain", plan: "x=error", calls: 1,
			run:  resilience.Chain(resilience.FallbackFunc(func(context.Context, error) error { return nil }), now(3)).Run,
			want: outcomes{3, 3, 0}},
		{name: "nested retries that succeed", plan: "x=5*error", calls: 1,
			run: resilience.Chain(now(2), now(3)).Run, want: outcomes{5, 5, 0}},
		{name: "nested retries that give up", plan: "x=error", calls: 1,
			run: resilience.Chain(now(2), now(3)).Run, wantErr: true, want: outcomes{6, 0, 6}},
		{name: "breaker and timeout settle nothing", plan: "x=error", calls: 3,
			run:     resilience.Chain(resilience.NewBreaker("x"), resilience.Timeout{Duration: 1 << 40}).Run,
			wantErr: true, want: outcomes{3, 0, 0}},
		{name: "an open breaker's rejections are not injected", plan: "x=error", calls: 1,
			run:     resilience.Chain(now(5), resilience.NewBreaker("x", resilience.WithConsecutiveFailures(2))).Run,
			wantErr: true, want: outcomes{2, 0, 2}},
		{name: "inner fallback failing with its own error escapes at once", plan: "x=1*error", calls: 1,
			run:  resilience.Chain(now(3), resilience.FallbackFunc(func(context.Context, error) error { return errCache })).Run,
			want: outcomes{1, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engineWith(t, tt.plan)
			p := e.Point("x")
			var err error
			for range tt.calls {
				err = tt.run(t.Context(), p.Inject)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("last call: error %v, want an error: %v", err, tt.wantErr)
			}
			if got := outcomesOf(e, "x"); got != tt.want {
				t.Errorf("fired, absorbed, escaped = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestOutcomesProperty: with the faults drawn at random, each call's
// injected errors are absorbed if the call succeeds and escape if it fails,
// when a Retry or a fallback is outside; so absorbed + escaped equals the
// faults fired there, and both are 0 without one.
func TestOutcomesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		pct := rapid.IntRange(0, 100).Draw(t, "errPct")
		attempts := rapid.IntRange(1, 4).Draw(t, "attempts")
		calls := rapid.IntRange(1, 30).Draw(t, "calls")
		wrap := rapid.SampledFrom([]string{"none", "breaker", "retry", "fallback", "retry-in-retry"}).Draw(t, "wrap")

		e := chaos.New(chaos.WithSeed(seed))
		if err := e.Apply(chaos.MustParsePlan(fmt.Sprintf("x=%d%%error;x=%d%%abort", pct, pct/2))); err != nil {
			t.Fatal(err)
		}
		var run func(context.Context, func(context.Context) error) error
		switch wrap {
		case "none":
			run = func(ctx context.Context, op func(context.Context) error) error { return op(ctx) }
		case "breaker":
			run = resilience.NewBreaker("x", resilience.WithConsecutiveFailures(-1)).Run
		case "retry":
			run = now(attempts).Run
		case "fallback":
			run = fallback(resilience.Fallback[string]{}, now(attempts))
		case "retry-in-retry":
			run = resilience.Chain(now(2), now(attempts)).Run
		}
		p := e.Point("x")
		var model outcomes
		for range calls {
			met := uint64(0)
			err := run(context.Background(), func(ctx context.Context) error {
				err := p.Inject(ctx)
				if errors.Is(err, faults.ErrInjected) {
					met++
				}
				return err
			})
			model.Fired += met
			switch {
			case wrap == "none" || wrap == "breaker":
			case err == nil:
				model.Absorbed += met
			default:
				model.Escaped += met
			}
		}
		got := outcomesOf(e, "x")
		if got != model {
			t.Fatalf("fired, absorbed, escaped = %+v, want %+v", got, model)
		}
		if got.Absorbed+got.Escaped > got.Fired {
			t.Fatalf("absorbed %d + escaped %d > fired %d", got.Absorbed, got.Escaped, got.Fired)
		}
	})
}
