package source_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

const planURL = "http://config.internal/faultline/plan"

// httpRig runs an HTTP source against a planServer in memory, inside a
// synctest bubble.
type httpRig struct {
	t    *testing.T
	srv  *planServer
	eng  *chaos.Engine
	r    *source.Runner
	mu   sync.Mutex
	errs []error // every error the runner saw, in order
	stop func() error
}

func newHTTPRig(t *testing.T, srv *planServer, opts ...source.HTTPOption) *httpRig {
	return newHTTPRigRunner(t, srv, nil, opts...)
}

// newHTTPRigRunner is newHTTPRig with options for the runner.
func newHTTPRigRunner(t *testing.T, srv *planServer, ropts []source.RunnerOption, opts ...source.HTTPOption) *httpRig {
	rig := &httpRig{t: t, srv: srv, eng: chaos.New(chaos.WithSeed(1))}
	opts = append([]source.HTTPOption{
		source.WithClient(&http.Client{Transport: memTransport{srv}}),
		source.WithInterval(30 * time.Second),
		source.WithJitter(-1),
	}, opts...)
	var last source.RunnerStatus
	ropts = append([]source.RunnerOption{source.WithOnUpdate(func(s source.RunnerStatus) {
		if s.Failed+s.Refused > last.Failed+last.Refused {
			rig.mu.Lock()
			rig.errs = append(rig.errs, s.Err)
			rig.mu.Unlock()
		}
		last = s
	})}, ropts...)
	rig.r = source.NewRunner(rig.eng, source.HTTP(planURL, opts...), ropts...)
	rig.stop = run(t, rig.r)
	t.Cleanup(func() { _ = rig.stop() })
	synctest.Wait()
	return rig
}

func (rig *httpRig) wantPlan(step, plan string) {
	rig.t.Helper()
	if got := rig.eng.Plan().String(); got != plan {
		rig.t.Errorf("%s: plan = %q, want %q", step, got, plan)
	}
}

// errors returns every error the runner saw, in order.
func (rig *httpRig) errors() []error {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	return append([]error(nil), rig.errs...)
}

func (rig *httpRig) lastErr() error {
	errs := rig.errors()
	if len(errs) == 0 {
		return nil
	}
	return errs[len(errs)-1]
}

func TestHTTPChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &planServer{body: "db.query=error(a)", etag: `"a"`}
		rig := newHTTPRig(t, srv, source.WithBearerToken("s3cret"))
		rig.wantPlan("first poll", "db.query=error(a)")
		if got := rig.eng.Active().Source; got != planURL+"@a" {
			t.Errorf("source = %q, want the URL at the ETag", got)
		}
		req := srv.reqs()[0]
		if got := req.Header.Get("Authorization"); got != "Bearer s3cret" {
			t.Errorf("Authorization = %q", got)
		}
		if got := req.Header.Get("If-None-Match"); got != "" {
			t.Errorf("first request sent If-None-Match %q", got)
		}

		tick(30 * time.Second)
		if n := srv.count(); n != 2 {
			t.Fatalf("%d requests after one interval, want 2", n)
		}
		if got := srv.reqs()[1].Header.Get("If-None-Match"); got != `"a"` {
			t.Errorf("second request sent If-None-Match %q, want the ETag", got)
		}
		if s := rig.r.Status(); s.Applied != 1 || s.Unchanged != 0 || s.Failed != 0 {
			t.Errorf("a 304 moved the status: %+v", s)
		}

		srv.set(func(s *planServer) {
			s.body, s.etag = `{"version":"v2","rules":[{"point":"db.query","fault":"error(b)"}]}`, `"b"`
		})
		tick(30 * time.Second)
		rig.wantPlan("changed", "db.query=error(b)")
		if got := rig.eng.Active().Source; got != planURL+"@v2" {
			t.Errorf("source = %q, want the URL at the plan's version", got)
		}

		srv.set(func(s *planServer) { s.body, s.etag = "", "" })
		tick(30 * time.Second)
		rig.wantPlan("an empty document switches faults off", "")
	})
}

func TestHTTPFailures(t *testing.T) {
	good := "db.query=error(good)"
	tests := []struct {
		name string
		set  func(s *planServer)
		err  error  // what the error matches
		text string // what its text holds
	}{
		{name: "server error", set: func(s *planServer) { s.status = 500 }, err: source.ErrStatus, text: "500 Internal Server Error"},
		{name: "not found", set: func(s *planServer) { s.status = 404 }, err: source.ErrStatus, text: "404"},
		{name: "unauthorized", set: func(s *planServer) { s.status = 401 }, err: source.ErrStatus, text: "401"},
		{name: "hang", set: func(s *planServer) { s.hang = true }, err: context.DeadlineExceeded},
		{name: "garbage text", set: func(s *planServer) { s.body = "db.query=explode(now)" }, err: chaos.ErrInvalidPlan},
		{name: "garbage json", set: func(s *planServer) { s.body = `{"rules":[{"point":` }, err: chaos.ErrInvalidPlan},
		{name: "invalid plan", set: func(s *planServer) { s.body = `{"rules":[{"point":"x","fault":"abort","rate":7}]}` }, err: chaos.ErrInvalidPlan, text: "rules[0].rate"},
		{name: "oversized", set: func(s *planServer) { s.body = strings.Repeat(" ", 1025) + good }, err: source.ErrTooLarge},
		{name: "oversized with length", set: func(s *planServer) { s.body, s.length = strings.Repeat(" ", 1025)+good, true }, err: source.ErrTooLarge, text: "limit 1024"},
		{name: "304 without ETag", set: func(s *planServer) { s.status = 304 }, err: source.ErrStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &planServer{body: good}
				rig := newHTTPRig(t, srv, source.WithMaxBytes(1024), source.WithTimeout(5*time.Second))
				rig.wantPlan("first poll", good)
				srv.set(tt.set)
				tick(30 * time.Second)
				if tt.name == "hang" {
					tick(5 * time.Second)
				}
				rig.wantPlan("after the failure", good)
				err := rig.lastErr()
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.text) {
					t.Errorf("error = %v, want one matching %v and holding %q", err, tt.err, tt.text)
				}
				if s := rig.r.Status(); s.Applied != 1 || s.Failed != 1 {
					t.Errorf("status = %+v, want 1 applied and 1 failed", s)
				}
				// It recovers at the next retry once the server does.
				srv.set(func(s *planServer) {
					s.status, s.body, s.etag, s.length, s.hang = 0, "db.query=error(new)", "", false, false
				})
				tick(2 * time.Second)
				rig.wantPlan("recovered", "db.query=error(new)")
			})
		})
	}
}

// Failures are retried with exponential backoff, from 1s up to the
// interval, and a good answer resets the pace.
func TestHTTPBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &planServer{status: 503}
		rig := newHTTPRig(t, srv, source.WithStaleAfter(-1))
		tick(10 * time.Minute)
		srv.mu.Lock()
		at := append([]time.Time(nil), srv.times...)
		srv.mu.Unlock()
		var gaps []time.Duration
		for i := 1; i < len(at); i++ {
			gaps = append(gaps, at[i].Sub(at[i-1]))
		}
		if len(gaps) < 10 {
			t.Fatalf("only %d retries in 10 minutes: %v", len(gaps), gaps)
		}
		// backoff/v4 randomizes each wait by ±50% around 1s, 1.5s, 2.25s, …
		if gaps[0] < 500*time.Millisecond || gaps[0] > 1500*time.Millisecond {
			t.Errorf("first retry after %v, want about 1s", gaps[0])
		}
		for i, g := range gaps {
			if g > 30*time.Second {
				t.Errorf("retry %d after %v, more than the interval", i, g)
			}
		}
		if last := gaps[len(gaps)-1]; last < 15*time.Second {
			t.Errorf("last retry after %v, want the backoff to have grown toward the interval", last)
		}
		if s := rig.r.Status(); s.Failed != uint64(len(at)) || s.Stale {
			t.Errorf("status = %+v, want %d failures and no fail-safe", s, len(at))
		}
	})
}

func TestHTTPStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &planServer{body: "db.query=error(a)", etag: `"a"`}
		rig := newHTTPRig(t, srv, source.WithStaleAfter(2*time.Minute))
		rig.wantPlan("first poll", "db.query=error(a)")

		srv.set(func(s *planServer) { s.hang = true })
		tick(2*time.Minute - time.Second)
		rig.wantPlan("before the limit", "db.query=error(a)")
		if rig.r.Status().Stale {
			t.Fatal("stale before the limit")
		}
		tick(time.Second)
		rig.wantPlan("at the limit, the fail-safe", "")
		if got := rig.eng.Active().Source; got != planURL+"@stale" {
			t.Errorf("source = %q", got)
		}
		if s := rig.r.Status(); !s.Stale || !errors.Is(s.Err, source.ErrStale) {
			t.Errorf("status = %+v, want stale", s)
		}
		n, afterStale := len(rig.errors()), srv.count()
		tick(5 * time.Minute)
		for _, err := range rig.errors()[n:] {
			if errors.Is(err, source.ErrStale) {
				t.Errorf("stale reported twice: %v", err)
			}
		}

		// The server comes back with the same document: the source asks
		// for it whole, and it applies again.
		// A request in flight may hang for its 10s timeout, and the
		// next waits at most the 30s interval.
		srv.set(func(s *planServer) { s.hang = false })
		tick(40 * time.Second)
		rig.wantPlan("recovered", "db.query=error(a)")
		if got := srv.reqs()[afterStale].Header.Get("If-None-Match"); got != "" {
			t.Errorf("after the fail-safe the source sent If-None-Match %q", got)
		}
		if rig.r.Status().Stale {
			t.Error("still stale after a good answer")
		}
	})
}

// Garbage is no good answer: it too leads to the fail-safe.
func TestHTTPStaleOnGarbage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &planServer{body: "db.query=error(a)"}
		rig := newHTTPRig(t, srv)
		srv.set(func(s *planServer) { s.body = "{not a plan" })
		tick(source.DefaultStaleAfter)
		rig.wantPlan("after the default limit", "")
		if !rig.r.Status().Stale {
			t.Error("not stale")
		}
	})
}

// A server that never answers leads to the fail-safe, even when it never
// gave a plan.
func TestHTTPStaleFromStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &planServer{status: 502}
		e := chaos.New()
		if err := e.Apply(chaos.MustParsePlan("x=abort")); err != nil {
			t.Fatal(err)
		}
		src := source.HTTP(planURL, source.WithClient(&http.Client{Transport: memTransport{srv}}), source.WithStaleAfter(time.Minute))
		stop := run(t, source.NewRunner(e, src))
		defer stop()
		tick(time.Minute)
		if e.Plan().String() != "" {
			t.Errorf("plan = %q after the limit", e.Plan())
		}
	})
}

func TestHTTPJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &planServer{body: "x=abort", etag: `"x"`}
		newHTTPRig(t, srv, source.WithJitter(0.5), source.WithInterval(10*time.Second))
		tick(30 * time.Minute)
		srv.mu.Lock()
		at := append([]time.Time(nil), srv.times...)
		srv.mu.Unlock()
		distinct := map[time.Duration]bool{}
		for i := 1; i < len(at); i++ {
			g := at[i].Sub(at[i-1])
			if g < 5*time.Second || g > 15*time.Second {
				t.Errorf("poll %d after %v, outside 10s ± 50%%", i, g)
			}
			distinct[g] = true
		}
		if len(distinct) < len(at)/2 {
			t.Errorf("only %d distinct waits in %d polls", len(distinct), len(at))
		}
	})
}

func TestHTTPBadURL(t *testing.T) {
	for _, u := range []string{"http://bad url\x7f/", "config/plan", "ftp://config/plan", "http:///plan"} {
		r := source.NewRunner(chaos.New(), source.HTTP(u))
		if err := r.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "bad plan url") {
			t.Errorf("Run with %q = %v, want the URL's error", u, err)
		}
	}
}

func TestHTTPName(t *testing.T) {
	if got := source.HTTP("https://user:pw@config/plan").Name(); got != "https://user:xxxxx@config/plan" {
		t.Errorf("Name() = %q, want the password redacted", got)
	}
}

// Against a real server: the source follows a document that changes and
// keeps the last good plan through errors, garbage, oversized bodies and a
// server that hangs.
func TestHTTPRealServer(t *testing.T) {
	srv := &planServer{body: "db.query=error(a)", etag: `"a"`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	updates := make(chan source.RunnerStatus)
	e := chaos.New()
	r := source.NewRunner(e, source.HTTP(ts.URL, source.WithInterval(5*time.Millisecond), source.WithMaxBytes(64), source.WithTimeout(100*time.Millisecond)),
		source.WithOnUpdate(func(s source.RunnerStatus) { updates <- s }))
	stop := run(t, r)
	defer stop()
	next := func() source.RunnerStatus {
		t.Helper()
		select {
		case s := <-updates:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("no update in 10s")
			return source.RunnerStatus{}
		}
	}
	if s := next(); s.Applied != 1 || e.Plan().String() != "db.query=error(a)" {
		t.Fatalf("first update: %+v, plan %q", s, e.Plan())
	}
	steps := []struct {
		set  func(*planServer)
		plan string
		err  error
	}{
		{func(s *planServer) { s.status = 500 }, "db.query=error(a)", source.ErrStatus},
		{func(s *planServer) { s.status, s.body, s.etag = 0, "garbage(", "" }, "db.query=error(a)", chaos.ErrInvalidPlan},
		{func(s *planServer) { s.body = strings.Repeat("x", 100) }, "db.query=error(a)", source.ErrTooLarge},
		{func(s *planServer) { s.hang = true }, "db.query=error(a)", context.DeadlineExceeded},
		{func(s *planServer) { s.hang, s.body, s.etag = false, "db.query=error(b)", `"b"` }, "db.query=error(b)", nil},
	}
	for i, st := range steps {
		srv.set(st.set)
		// Updates that raced the change may still come; wait for one
		// that shows it.
		for range 50 {
			s := next()
			if st.err == nil && s.Version == "b" || st.err != nil && errors.Is(s.Err, st.err) {
				break
			}
		}
		if got := e.Plan().String(); got != st.plan {
			t.Errorf("step %d: plan = %q, want %q", i, got, st.plan)
		}
	}
	go func() {
		for range updates {
		}
	}()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	close(updates)
}
