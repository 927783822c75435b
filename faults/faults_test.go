package faults_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/faults"
)

func TestKindString(t *testing.T) {
	tests := []struct {
		kind faults.Kind
		want string
	}{
		{faults.KindNone, "none"},
		{faults.KindLatency, "latency"},
		{faults.KindError, "error"},
		{faults.KindPanic, "panic"},
		{faults.KindHang, "hang"},
		{faults.KindStatus, "status"},
		{faults.KindAbort, "abort"},
		{faults.KindBadConn, "badconn"},
		{faults.KindCorrupt, "corrupt"},
		{faults.KindPause, "pause"},
		{faults.KindSqueeze, "squeeze"},
		{faults.KindCustom, "custom"},
		{faults.Kind(200), "kind(200)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.kind.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
	if faults.NumKinds != int(faults.KindCustom)+1 {
		t.Errorf("NumKinds = %d, want %d", faults.NumKinds, faults.KindCustom+1)
	}
}

func TestParseKind(t *testing.T) {
	for k := faults.KindLatency; int(k) < faults.NumKinds; k++ {
		got, err := faults.ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
		b, err := k.MarshalText()
		if err != nil || string(b) != k.String() {
			t.Errorf("%v.MarshalText() = %q, %v", k, b, err)
		}
		var back faults.Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, back, err)
		}
	}
	if got, err := faults.ParseKind("delay"); err != nil || got != faults.KindLatency {
		t.Errorf(`ParseKind("delay") = %v, %v; want latency`, got, err)
	}
	for _, bad := range []string{"", "none", "Latency", "kind(3)", "timeout"} {
		if _, err := faults.ParseKind(bad); err == nil {
			t.Errorf("ParseKind(%q) succeeded, want an error", bad)
		}
	}
	if _, err := faults.Kind(99).MarshalText(); err == nil {
		t.Error("MarshalText of an unknown kind succeeded")
	}
	var k faults.Kind
	if err := k.UnmarshalText([]byte("nope")); err == nil || k != faults.KindNone {
		t.Errorf("UnmarshalText(nope) = %v, left %v", err, k)
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name string
		got  faults.Fault
		want faults.Fault
	}{
		{"Latency", faults.Latency(time.Second), faults.Fault{Kind: faults.KindLatency, Delay: time.Second}},
		{"LatencyJitter", faults.LatencyJitter(time.Second, time.Millisecond), faults.Fault{Kind: faults.KindLatency, Delay: time.Second, Jitter: time.Millisecond}},
		{"Error", faults.Error("boom"), faults.Fault{Kind: faults.KindError, Message: "boom"}},
		{"Panic", faults.Panic("oops"), faults.Fault{Kind: faults.KindPanic, Message: "oops"}},
		{"Hang", faults.Hang(), faults.Fault{Kind: faults.KindHang}},
		{"Status", faults.HTTPStatus(503, "down"), faults.Fault{Kind: faults.KindStatus, Code: 503, Body: "down"}},
		{"Abort", faults.Abort(), faults.Fault{Kind: faults.KindAbort}},
		{"BadConn", faults.BadConn(), faults.Fault{Kind: faults.KindBadConn}},
		{"Corrupt", faults.Corrupt(), faults.Fault{Kind: faults.KindCorrupt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %+v, want %+v", tt.got, tt.want)
			}
			if err := tt.got.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			if tt.got.IsZero() {
				t.Error("IsZero() = true for a fault")
			}
		})
	}
	if !(faults.Fault{}).IsZero() {
		t.Error("the zero Fault is not IsZero")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		fault faults.Fault
		want  string // "" for valid
	}{
		{"zero", faults.Fault{}, "kind: none is not a fault"},
		{"unknown kind", faults.Fault{Kind: 42}, "kind: kind(42) is not a fault"},
		{"negative delay", faults.Latency(-time.Second), "delay: -1s is negative"},
		{"negative jitter", faults.LatencyJitter(time.Second, -time.Millisecond), "jitter: -1ms is negative"},
		{"no delay", faults.Latency(0), "delay: a latency fault needs a delay"},
		{"jitter only", faults.LatencyJitter(0, time.Second), ""},
		{"error with delay", faults.Fault{Kind: faults.KindError, Delay: time.Second}, "delay: error faults have no delay"},
		{"abort with jitter", faults.Fault{Kind: faults.KindAbort, Jitter: time.Second}, "jitter: abort faults have no jitter"},
		{"abort with delay", faults.Fault{Kind: faults.KindAbort, Delay: time.Second}, "delay: abort faults have no delay"},
		{"hang with a bound", faults.HangFor(time.Second), ""},
		{"hang with jitter", faults.Fault{Kind: faults.KindHang, Jitter: time.Second}, "jitter: hang faults have no jitter"},
		{"hang with message", faults.Fault{Kind: faults.KindHang, Message: "x"}, "message: hang faults have no message"},
		{"latency with message", faults.Fault{Kind: faults.KindLatency, Delay: 1, Message: "x"}, "message: latency faults have no message"},
		{"panic with code", faults.Fault{Kind: faults.KindPanic, Code: 500}, "code: panic faults have no status code"},
		{"error with code", faults.Fault{Kind: faults.KindError, Code: 503}, ""},
		{"error with bad code", faults.Fault{Kind: faults.KindError, Code: 42}, "code: 42 is not an HTTP status in [200,999]"},
		{"status 1000", faults.HTTPStatus(1000, ""), "code: 1000 is not an HTTP status in [200,999]"},
		{"status 100", faults.HTTPStatus(100, ""), "code: 100 is not an HTTP status in [200,999]"},
		{"status 199", faults.HTTPStatus(199, ""), "code: 199 is not an HTTP status in [200,999]"},
		{"error with code 101", faults.Fault{Kind: faults.KindError, Code: 101}, "code: 101 is not an HTTP status in [200,999]"},
		{"status 200", faults.HTTPStatus(200, ""), ""},
		{"status 999", faults.HTTPStatus(999, ""), ""},
		{"status without code", faults.Fault{Kind: faults.KindStatus}, "code: a status fault needs a status code"},
		{"error with body", faults.Fault{Kind: faults.KindError, Body: "x"}, "body: error faults have no body"},
		{"status with body", faults.HTTPStatus(503, "x"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.fault.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		name  string
		fault faults.Fault
		r     uint64
		want  time.Duration
	}{
		{"no jitter", faults.Latency(time.Second), 12345, time.Second},
		{"jitter r=0", faults.LatencyJitter(time.Second, 10), 0, time.Second},
		{"jitter r=10", faults.LatencyJitter(time.Second, 10), 10, time.Second + 10},
		{"jitter wraps", faults.LatencyJitter(time.Second, 10), 11, time.Second},
		{"jitter r=25", faults.LatencyJitter(time.Second, 10), 25, time.Second + 3},
		{"not latency", faults.Error("x"), 99, 0},
		{"huge jitter saturates", faults.LatencyJitter(time.Hour, math.MaxInt64), math.MaxUint64, math.MaxInt64},
		{"huge jitter small r", faults.LatencyJitter(time.Hour, math.MaxInt64), 7, time.Hour + 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fault.Duration(tt.r); got != tt.want {
				t.Errorf("Duration(%d) = %v, want %v", tt.r, got, tt.want)
			}
		})
	}
}

func TestInjectedError(t *testing.T) {
	tests := []struct {
		fault   faults.Fault
		msg     string
		also    error // a second target errors.Is must match, or nil
		notAlso error // a target it must not match
	}{
		{faults.Error("timeout"), "faultline: injected error at db.query: timeout", nil, driver.ErrBadConn},
		{faults.Error(""), "faultline: injected error at db.query", nil, syscall.ECONNRESET},
		{faults.Panic("oops"), "faultline: injected panic at db.query: oops", nil, driver.ErrBadConn},
		{faults.HTTPStatus(503, "down"), "faultline: injected status at db.query: status 503", nil, io.EOF},
		{faults.BadConn(), "faultline: injected badconn at db.query: driver: bad connection", driver.ErrBadConn, syscall.ECONNRESET},
		{faults.Abort(), "faultline: injected abort at db.query: connection reset", syscall.ECONNRESET, driver.ErrBadConn},
		{faults.Corrupt(), "faultline: injected corrupt at db.query", nil, driver.ErrBadConn},
		{faults.Hang(), "faultline: injected hang at db.query", nil, driver.ErrBadConn},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			e := faults.NewInjectedError("db.query", tt.fault)
			if e.Point != "db.query" || e.Fault != tt.fault {
				t.Errorf("NewInjectedError = %+v", e)
			}
			if got := e.Error(); got != tt.msg {
				t.Errorf("Error() = %q, want %q", got, tt.msg)
			}
			wrapped := fmt.Errorf("charging card: %w", e)
			if !errors.Is(wrapped, faults.ErrInjected) {
				t.Error("errors.Is(wrapped, ErrInjected) = false")
			}
			if tt.also != nil && !errors.Is(wrapped, tt.also) {
				t.Errorf("errors.Is(wrapped, %v) = false", tt.also)
			}
			if errors.Is(wrapped, tt.notAlso) {
				t.Errorf("errors.Is(wrapped, %v) = true", tt.notAlso)
			}
			var ie *faults.InjectedError
			if !errors.As(wrapped, &ie) || ie != e {
				t.Error("errors.As did not find the *InjectedError")
			}
		})
	}
	if errors.Is(errors.New("faultline: injected fault"), faults.ErrInjected) {
		t.Error("an unrelated error with the same text matches ErrInjected")
	}
}

func TestInject(t *testing.T) {
	ctx := context.Background()
	for _, f := range []faults.Fault{faults.Error("x"), faults.HTTPStatus(503, ""), faults.Abort(), faults.BadConn(), faults.Corrupt()} {
		t.Run(f.String(), func(t *testing.T) {
			err := f.Inject(ctx, "p", 0)
			var ie *faults.InjectedError
			if !errors.As(err, &ie) || ie.Point != "p" || ie.Fault != f {
				t.Errorf("Inject = %v, want the *InjectedError of %v at p", err, f)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		if err := (faults.Fault{}).Inject(ctx, "p", 0); err != nil {
			t.Errorf("Inject of no fault = %v", err)
		}
	})
	t.Run("panic", func(t *testing.T) {
		defer func() {
			v := recover()
			e, ok := v.(*faults.InjectedError)
			if !ok {
				t.Fatalf("panic value %#v is not an *InjectedError", v)
			}
			if !errors.Is(e, faults.ErrInjected) || e.Point != "p" || e.Fault.Message != "oops" {
				t.Errorf("panic value = %+v", e)
			}
		}()
		_ = faults.Panic("oops").Inject(ctx, "p", 0)
		t.Error("Inject of a panic fault returned")
	})
}

// TestInjectLatency: a latency or hang fault holds the call for exactly its
// time, or until the context ends, whichever is first.
func TestInjectLatency(t *testing.T) {
	tests := []struct {
		name     string
		fault    faults.Fault
		r        uint64
		timeout  time.Duration // the context's deadline; 0: none
		cancelAt time.Duration // when the context is canceled; 0: never
		want     time.Duration // fake time Inject takes
		wantErr  error
	}{
		{"delay", faults.Latency(3 * time.Second), 0, 0, 0, 3 * time.Second, nil},
		{"jitter", faults.LatencyJitter(time.Second, 500*time.Millisecond), 123456789, 0, 0, time.Second + 123456789%(500*time.Millisecond+1), nil},
		{"deadline first", faults.Latency(time.Minute), 0, 2 * time.Second, 0, 2 * time.Second, context.DeadlineExceeded},
		{"deadline after", faults.Latency(time.Second), 0, time.Minute, 0, time.Second, nil},
		{"delay canceled", faults.Latency(time.Hour), 0, 0, 1500 * time.Millisecond, 1500 * time.Millisecond, context.Canceled},
		{"hang until deadline", faults.Hang(), 0, 5 * time.Second, 0, 5 * time.Second, context.DeadlineExceeded},
		{"hang canceled", faults.Hang(), 0, 0, 1500 * time.Millisecond, 1500 * time.Millisecond, context.Canceled},
		{"hang without deadline ends at the default limit", faults.Hang(), 0, 0, 0, faults.DefaultHangLimit, faults.ErrInjected},
		{"hang ends at its own bound", faults.HangFor(7 * time.Second), 0, time.Minute, 0, 7 * time.Second, faults.ErrInjected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				if tt.cancelAt > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					defer time.AfterFunc(tt.cancelAt, cancel).Stop()
				}
				start := time.Now()
				err := tt.fault.Inject(ctx, "p", tt.r)
				if got := time.Since(start); got != tt.want {
					t.Errorf("Inject took %v, want exactly %v", got, tt.want)
				}
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Errorf("Inject = %v, want %v", err, tt.wantErr)
				}
			})
		})
	}
}

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		if err := faults.Sleep(ctx, 0); err != nil {
			t.Errorf("Sleep(0) = %v", err)
		}
		if err := faults.Sleep(ctx, -time.Second); err != nil {
			t.Errorf("Sleep(-1s) = %v", err)
		}
		if time.Since(start) != 0 {
			t.Error("Sleep of no time took time")
		}
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		if err := faults.Sleep(canceled, 0); err != context.Canceled {
			t.Errorf("Sleep(0) on a canceled context = %v, want context.Canceled", err)
		}
		if err := faults.Sleep(canceled, time.Hour); err != context.Canceled {
			t.Errorf("Sleep(1h) on a canceled context = %v, want context.Canceled", err)
		}
		if time.Since(start) != 0 {
			t.Error("Sleep on a canceled context waited")
		}
		if err := faults.Sleep(ctx, 90*time.Second); err != nil || time.Since(start) != 90*time.Second {
			t.Errorf("Sleep(90s) = %v after %v", err, time.Since(start))
		}
	})
}
