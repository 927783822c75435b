package source_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// httpTestOpts sends requests to srv in memory, for sources built in a
// test without a rig.
func httpTestOpts(srv *planServer) []source.HTTPOption {
	return []source.HTTPOption{source.WithClient(&http.Client{Transport: memTransport{srv}})}
}

// Zero means the default timeout, and a negative one means none.
func TestHTTPTimeoutOption(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		delay   time.Duration // how long the server takes
		ok      bool
	}{
		{name: "zero is the default", timeout: 0, delay: source.DefaultTimeout - time.Second, ok: true},
		{name: "zero is the default, passed", timeout: 0, delay: source.DefaultTimeout + time.Second},
		{name: "negative is none", timeout: -1, delay: 4 * source.DefaultTimeout, ok: true},
		{name: "set", timeout: 2 * time.Second, delay: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &planServer{body: "db.query=error(a)", delay: tt.delay}
				opts := append(httpTestOpts(srv), source.WithTimeout(tt.timeout), source.WithInterval(-1))
				s, e := firstUpdate(t, source.HTTP(planURL, opts...))
				if tt.ok != (s.Err == nil) || tt.ok != (e.Plan().String() == "db.query=error(a)") {
					t.Errorf("status %+v, plan %q; want ok %v", s, e.Plan(), tt.ok)
				}
				if !tt.ok && !errors.Is(s.Err, context.DeadlineExceeded) {
					t.Errorf("error = %v, want a timeout", s.Err)
				}
			})
		})
	}
}

// Zero means the default jitter, and a negative one means none.
func TestHTTPJitterOption(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		spread time.Duration // the widest gap from the interval allowed
		exact  bool          // every gap is the interval
	}{
		{name: "zero is the default", jitter: 0, spread: time.Duration(source.DefaultJitter * float64(30*time.Second))},
		{name: "negative is none", jitter: -1, exact: true},
		{name: "over one is one", jitter: 7, spread: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &planServer{body: "x=abort", etag: `"x"`}
				src := source.HTTP(planURL, append(httpTestOpts(srv), source.WithJitter(tt.jitter), source.WithStaleAfter(-1))...)
				stop := run(t, source.NewRunner(chaos.New(), src))
				tick(time.Hour)
				if err := stop(); err != nil {
					t.Fatal(err)
				}
				srv.mu.Lock()
				at := srv.times
				srv.mu.Unlock()
				exact := true
				for i := 1; i < len(at); i++ {
					g := at[i].Sub(at[i-1])
					exact = exact && g == 30*time.Second
					if d := (g - 30*time.Second).Abs(); d > tt.spread {
						t.Errorf("poll %d after %v, more than %v from the interval", i, g, tt.spread)
					}
				}
				if exact != tt.exact {
					t.Errorf("every poll exactly at the interval: %v, want %v", exact, tt.exact)
				}
			})
		})
	}
}

// A negative interval turns polling off: one read, then Watch returns.
func TestIntervalOffHTTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &planServer{body: "db.query=error(a)"}
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		e := chaos.New()
		if err := source.NewRunner(e, source.HTTP(planURL, append(httpTestOpts(srv), source.WithInterval(-1))...)).Run(ctx); err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil || srv.count() != 1 || e.Plan().String() != "db.query=error(a)" {
			t.Errorf("returned when done: %v, %d requests, plan %q; want one request and its plan", ctx.Err() != nil, srv.count(), e.Plan())
		}
	})
}

// A stale limit shorter than one poll is refused before any request.
func TestHTTPStaleLimitTooShort(t *testing.T) {
	tests := []struct {
		name string
		opts []source.HTTPOption
		bad  bool
	}{
		{name: "shorter than the interval", opts: []source.HTTPOption{source.WithInterval(time.Minute), source.WithStaleAfter(30 * time.Second)}, bad: true},
		{name: "shorter than interval and timeout", opts: []source.HTTPOption{source.WithJitter(-1), source.WithStaleAfter(35 * time.Second)}, bad: true},
		{name: "shorter than interval, jitter and timeout", opts: []source.HTTPOption{source.WithStaleAfter(42 * time.Second)}, bad: true},
		{name: "one poll", opts: []source.HTTPOption{source.WithStaleAfter(43 * time.Second)}},
		{name: "no timeout", opts: []source.HTTPOption{source.WithJitter(-1), source.WithTimeout(-1), source.WithStaleAfter(30 * time.Second)}},
		{name: "no fail-safe", opts: []source.HTTPOption{source.WithStaleAfter(-1), source.WithInterval(time.Hour)}},
		{name: "no polling", opts: []source.HTTPOption{source.WithStaleAfter(time.Second), source.WithInterval(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &planServer{body: "db.query=error(a)"}
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				err := source.HTTP(planURL, append(httpTestOpts(srv), tt.opts...)...).Watch(ctx, func(source.Update) {})
				if tt.bad != (err != nil) || tt.bad && !strings.Contains(err.Error(), "stale limit") {
					t.Errorf("Watch = %v, want an error about the stale limit: %v", err, tt.bad)
				}
				if tt.bad && srv.count() != 0 {
					t.Errorf("%d requests made with settings that cannot work", srv.count())
				}
			})
		})
	}
}

// No HTTP document larger than chaos.MaxPlanSize is read, whatever
// WithMaxBytes says.
func TestHTTPMaxBytesOption(t *testing.T) {
	body := strings.Repeat(" ", chaos.MaxPlanSize) + "db.query=error(a)"
	for _, n := range []int64{0, -1, 1 << 30} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			srv := &planServer{body: body}
			s, _ := firstUpdate(t, source.HTTP(planURL, append(httpTestOpts(srv), source.WithMaxBytes(n), source.WithInterval(-1))...))
			if !errors.Is(s.Err, source.ErrTooLarge) {
				t.Errorf("error = %.200v, want one matching ErrTooLarge", s.Err)
			}
		})
	}
}
