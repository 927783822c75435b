package resilience

import (
	"context"
	"errors"
	"testing"

	"pgregory.net/rapid"
)

func TestFallback(t *testing.T) {
	onlyBoom := func(err error) bool { return errors.Is(err, errBoom) }
	tests := []struct {
		name    string
		fb      Fallback[string]
		p       Strategy
		opErr   error
		want    string
		wantErr error
	}{
		{name: "success", fb: Fallback[string]{Value: "fallback"}, want: "live"},
		{name: "value", fb: Fallback[string]{Value: "fallback"}, opErr: errBoom, want: "fallback"},
		{name: "zero fallback", opErr: errBoom, want: ""},
		{
			name: "func", opErr: errBoom, want: "computed from boom",
			fb: Fallback[string]{Func: func(_ context.Context, err error) (string, error) { return "computed from " + err.Error(), nil }},
		},
		{
			name: "func error", opErr: errBoom, want: "", wantErr: errOther,
			fb: Fallback[string]{Func: func(context.Context, error) (string, error) { return "", errOther }},
		},
		{name: "when matches", fb: Fallback[string]{Value: "fallback", When: onlyBoom}, opErr: errBoom, want: "fallback"},
		{name: "when does not match", fb: Fallback[string]{Value: "fallback", When: onlyBoom}, opErr: errOther, want: "partial", wantErr: errOther},
		{name: "strategy rejection", fb: Fallback[string]{Value: "fallback"}, p: StrategyFunc(func(context.Context, func(context.Context) error) error { return ErrOpen }), want: "fallback"},
		{name: "through a retry", fb: Fallback[string]{Value: "fallback"}, p: Retry{MaxAttempts: 1}, opErr: errBoom, want: "fallback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.fb.Do(t.Context(), tc.p, func(context.Context) (string, error) {
				if tc.opErr != nil {
					return "partial", tc.opErr
				}
				return "live", nil
			})
			if got != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("Do = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestFallbackFunc(t *testing.T) {
	swallow := FallbackFunc(func(context.Context, error) error { return nil })
	translate := FallbackFunc(func(_ context.Context, err error) error {
		if errors.Is(err, ErrOpen) {
			return errOther
		}
		return err
	})
	tests := []struct {
		name  string
		f     FallbackFunc
		opErr error
		want  error
	}{
		{"success skips it", FallbackFunc(func(context.Context, error) error { panic("called") }), nil, nil},
		{"swallow", swallow, errBoom, nil},
		{"translate", translate, ErrOpen, errOther},
		{"let through", translate, errBoom, errBoom},
		{"nil", nil, errBoom, errBoom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.Run(t.Context(), func(context.Context) error { return tc.opErr })
			if err != tc.want {
				t.Errorf("Run = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestFallbackProperties checks that the fallback is used exactly when the
// call fails with an error that When accepts, and that otherwise the call's
// own result comes back untouched.
func TestFallbackProperties(t *testing.T) {
	errs := []error{nil, errBoom, errOther, Permanent(errBoom)}
	rapid.Check(t, func(rt *rapid.T) {
		opErr := rapid.SampledFrom(errs).Draw(rt, "opError")
		filtered := rapid.Bool().Draw(rt, "filtered")
		useFunc := rapid.Bool().Draw(rt, "useFunc")
		value := rapid.Int().Draw(rt, "opValue")
		fallback := rapid.Int().Draw(rt, "fallbackValue")

		fb := Fallback[int]{Value: fallback}
		if filtered {
			fb.When = func(err error) bool { return errors.Is(err, errBoom) }
		}
		calls := 0
		if useFunc {
			fb.Value = -1
			fb.Func = func(_ context.Context, err error) (int, error) {
				calls++
				if err != opErr {
					rt.Fatalf("Func got %v, want %v", err, opErr)
				}
				return fallback, nil
			}
		}
		got, err := fb.Do(context.Background(), nil, func(context.Context) (int, error) { return value, opErr })

		used := opErr != nil && (!filtered || errors.Is(opErr, errBoom))
		switch {
		case used && (got != fallback || err != nil):
			rt.Fatalf("Do = %d, %v; want the fallback %d", got, err, fallback)
		case !used && (got != value || err != opErr):
			rt.Fatalf("Do = %d, %v; want the op's %d, %v", got, err, value, opErr)
		case useFunc && (calls == 1) != used:
			rt.Fatalf("Func called %d times, fallback used: %v", calls, used)
		}
	})
}
