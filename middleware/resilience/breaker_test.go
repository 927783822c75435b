package resilience

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sony/gobreaker"
	"pgregory.net/rapid"
)

func fail(context.Context) error    { return errBoom }
func succeed(context.Context) error { return nil }

func TestBreakerErrors(t *testing.T) {
	tests := []struct {
		err, target error
	}{
		{ErrOpen, ErrOpen},
		{ErrOpen, gobreaker.ErrOpenState},
		{fmt.Errorf("calling db: %w", ErrOpen), gobreaker.ErrOpenState},
		{ErrTooManyRequests, ErrTooManyRequests},
		{ErrTooManyRequests, gobreaker.ErrTooManyRequests},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v is %v", tc.err, tc.target), func(t *testing.T) {
			if !errors.Is(tc.err, tc.target) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.target)
			}
		})
	}
	if errors.Is(ErrOpen, ErrTooManyRequests) || errors.Is(ErrTooManyRequests, ErrOpen) {
		t.Error("ErrOpen and ErrTooManyRequests match each other")
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{StateClosed: "closed", StateHalfOpen: "half-open", StateOpen: "open", 7: "State(7)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

func TestBreaker(t *testing.T) {
	type step struct {
		op      func(context.Context) error
		wait    time.Duration // before the call
		wantErr error
		want    State // after the call
	}
	tests := []struct {
		name  string
		opts  []BreakerOption
		steps []step
	}{
		{
			name: "defaults open after 5 consecutive failures",
			steps: []step{
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom},
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom, want: StateOpen},
				{op: succeed, wantErr: ErrOpen, want: StateOpen},
				{op: succeed, wait: DefaultOpenTimeout, wantErr: ErrOpen, want: StateOpen},
				{op: succeed, wait: time.Nanosecond, want: StateClosed},
			},
		},
		{
			name: "a success resets the consecutive count",
			opts: []BreakerOption{WithConsecutiveFailures(2)},
			steps: []step{
				{op: fail, wantErr: errBoom}, {op: succeed}, {op: fail, wantErr: errBoom},
				{op: fail, wantErr: errBoom, want: StateOpen},
			},
		},
		{
			name: "half-open failure opens again",
			opts: []BreakerOption{WithConsecutiveFailures(1), WithOpenTimeout(time.Second)},
			steps: []step{
				{op: fail, wantErr: errBoom, want: StateOpen},
				{op: fail, wait: 2 * time.Second, wantErr: errBoom, want: StateOpen},
				{op: succeed, wantErr: ErrOpen, want: StateOpen},
			},
		},
		{
			name: "half-open needs WithHalfOpenRequests successes",
			opts: []BreakerOption{WithConsecutiveFailures(1), WithOpenTimeout(time.Second), WithHalfOpenRequests(2)},
			steps: []step{
				{op: fail, wantErr: errBoom, want: StateOpen},
				{op: succeed, wait: 2 * time.Second, want: StateHalfOpen},
				{op: succeed, want: StateClosed},
			},
		},
		{
			name: "failure ratio with minimum requests",
			opts: []BreakerOption{WithFailureRatio(0.5, 4)},
			steps: []step{
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom},
				{op: fail, wantErr: errBoom, want: StateOpen}, // 4 of 4
			},
		},
		{
			name: "failure ratio not reached",
			opts: []BreakerOption{WithFailureRatio(0.6, 4)},
			steps: []step{
				{op: succeed}, {op: succeed}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, // 2 of 4
				{op: fail, wantErr: errBoom, want: StateOpen}, // 3 of 5
			},
		},
		{
			name: "ratio alone has no consecutive condition",
			opts: []BreakerOption{WithFailureRatio(0.9, 10)},
			steps: []step{
				{op: succeed}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom},
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom},
			},
		},
		{
			name: "interval clears counts",
			opts: []BreakerOption{WithConsecutiveFailures(2), WithCountInterval(time.Second)},
			steps: []step{
				{op: fail, wantErr: errBoom},
				{op: fail, wait: 2 * time.Second, wantErr: errBoom},
				{op: fail, wantErr: errBoom, want: StateOpen},
			},
		},
		{
			name: "zero means the defaults",
			opts: []BreakerOption{WithConsecutiveFailures(0), WithFailureRatio(0, 0), WithCountInterval(0), WithOpenTimeout(0), WithHalfOpenRequests(0)},
			steps: []step{
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom},
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom, want: StateOpen},
				{op: succeed, wait: DefaultOpenTimeout, wantErr: ErrOpen, want: StateOpen},
				{op: succeed, wait: time.Nanosecond, want: StateClosed},
			},
		},
		{
			name: "negative consecutive failures: no condition",
			opts: []BreakerOption{WithConsecutiveFailures(-1)},
			steps: []step{
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom},
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom},
			},
		},
		{
			name: "negative ratio: no ratio condition, so the default consecutive one",
			opts: []BreakerOption{WithFailureRatio(-0.5, 1)},
			steps: []step{
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom},
				{op: fail, wantErr: errBoom}, {op: fail, wantErr: errBoom, want: StateOpen},
			},
		},
		{
			name: "negative minimum requests: none",
			opts: []BreakerOption{WithFailureRatio(0.5, -1)},
			steps: []step{
				{op: fail, wantErr: errBoom, want: StateOpen}, // 1 of 1
			},
		},
		{
			name: "negative interval: counts are never cleared",
			opts: []BreakerOption{WithConsecutiveFailures(2), WithCountInterval(-time.Second)},
			steps: []step{
				{op: fail, wantErr: errBoom},
				{op: fail, wait: time.Hour, wantErr: errBoom, want: StateOpen},
			},
		},
		{
			name: "negative open timeout: half-open a nanosecond later",
			opts: []BreakerOption{WithConsecutiveFailures(1), WithOpenTimeout(-1)},
			steps: []step{
				{op: fail, wantErr: errBoom, want: StateOpen},
				{op: succeed, wait: 2 * time.Nanosecond, want: StateClosed},
			},
		},
		{
			name: "negative half-open requests: one",
			opts: []BreakerOption{WithConsecutiveFailures(1), WithOpenTimeout(time.Second), WithHalfOpenRequests(-3)},
			steps: []step{
				{op: fail, wantErr: errBoom, want: StateOpen},
				{op: succeed, wait: 2 * time.Second, want: StateClosed},
			},
		},
		{
			name: "IsSuccessful",
			opts: []BreakerOption{WithConsecutiveFailures(1), WithIsSuccessful(func(err error) bool { return err == nil || errors.Is(err, errBoom) })},
			steps: []step{
				{op: fail, wantErr: errBoom},
				{op: func(context.Context) error { return errOther }, wantErr: errOther, want: StateOpen},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := NewBreaker("", tc.opts...)
				for i, s := range tc.steps {
					time.Sleep(s.wait)
					err := b.Run(t.Context(), s.op)
					if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
						t.Fatalf("step %d: Run = %v, want %v", i, err, s.wantErr)
					}
					if got := b.State(); got != s.want {
						t.Fatalf("step %d: State = %v, want %v", i, got, s.want)
					}
				}
			})
		})
	}
}

func TestBreakerTooManyRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBreaker("", WithConsecutiveFailures(1), WithOpenTimeout(time.Second))
		_ = b.Run(t.Context(), fail)
		time.Sleep(2 * time.Second)
		release := make(chan struct{})
		go b.Run(t.Context(), func(context.Context) error { <-release; return nil })
		synctest.Wait()
		ran := false
		err := b.Run(t.Context(), func(context.Context) error { ran = true; return nil })
		if !errors.Is(err, ErrTooManyRequests) || ran {
			t.Errorf("Run while the trial call runs = %v (op ran: %v), want ErrTooManyRequests", err, ran)
		}
		close(release)
		synctest.Wait()
		if got := b.State(); got != StateClosed {
			t.Errorf("State after the trial succeeded = %v, want closed", got)
		}
	})
}

func TestBreakerNilAndZero(t *testing.T) {
	for _, b := range []*Breaker{nil, {}} {
		if err := b.Run(t.Context(), fail); err != errBoom {
			t.Errorf("Run = %v, want op's error", err)
		}
		if b.State() != StateClosed || b.Name() != "" {
			t.Errorf("State, Name = %v, %q; want closed, empty", b.State(), b.Name())
		}
	}
}

func TestBreakerOnStateChangeAndPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type change struct {
			Name     string
			From, To State
		}
		var got []change
		b := NewBreaker("db", WithConsecutiveFailures(1), WithOpenTimeout(time.Second),
			WithOnStateChange(func(name string, from, to State) { got = append(got, change{name, from, to}) }))
		func() {
			defer func() {
				if r := recover(); r != "kaboom" {
					t.Errorf("recovered %v, want the op's panic", r)
				}
			}()
			_ = b.Run(t.Context(), func(context.Context) error { panic("kaboom") })
		}()
		time.Sleep(2 * time.Second)
		_ = b.Run(t.Context(), succeed)
		want := []change{{"db", StateClosed, StateOpen}, {"db", StateOpen, StateHalfOpen}, {"db", StateHalfOpen, StateClosed}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("state changes (-want +got):\n%s", diff)
		}
		if b.Name() != "db" {
			t.Errorf("Name = %q", b.Name())
		}
	})
}

// breakerModel is the documented behavior of Breaker, written from its
// contract: counts since the last state change (or interval), a trip
// condition checked on failures while closed, an open period, and half-open
// trials whose results count only if no state change happened meanwhile.
type breakerModel struct {
	consecutive    int     // trip on this many consecutive failures (0: no)
	ratio          float64 // trip on this failure share (0: no)
	minRequests    int
	interval       time.Duration
	openTimeout    time.Duration
	halfOpenMax    int
	state          State
	epoch          int // bumped on every state change and interval reset
	requests       int
	failures       int
	consecFailures int
	consecSuccess  int
	until          time.Time // end of the open period or of the interval
	changes        []string
}

func (m *breakerModel) reset(now time.Time) {
	m.epoch++
	m.requests, m.failures, m.consecFailures, m.consecSuccess = 0, 0, 0, 0
	switch m.state {
	case StateOpen:
		m.until = now.Add(m.openTimeout)
	case StateClosed:
		m.until = time.Time{}
		if m.interval > 0 {
			m.until = now.Add(m.interval)
		}
	default:
		m.until = time.Time{}
	}
}

func (m *breakerModel) set(s State, now time.Time) {
	m.changes = append(m.changes, m.state.String()+"->"+s.String())
	m.state = s
	m.reset(now)
}

// current brings the model up to now: an open breaker turns half-open once
// its timeout has passed, and closed-state counts clear every interval.
func (m *breakerModel) current(now time.Time) State {
	switch {
	case m.state == StateOpen && now.After(m.until):
		m.set(StateHalfOpen, now)
	case m.state == StateClosed && !m.until.IsZero() && now.After(m.until):
		m.reset(now)
	}
	return m.state
}

// admit returns the epoch a call starts in, or the error it is rejected with.
func (m *breakerModel) admit(now time.Time) (int, error) {
	switch m.current(now) {
	case StateOpen:
		return 0, ErrOpen
	case StateHalfOpen:
		if m.requests >= m.halfOpenMax {
			return 0, ErrTooManyRequests
		}
	}
	m.requests++
	return m.epoch, nil
}

func (m *breakerModel) done(epoch int, ok bool, now time.Time) {
	s := m.current(now)
	if epoch != m.epoch {
		return // the breaker changed state while the call ran
	}
	if ok {
		m.consecSuccess++
		m.consecFailures = 0
		if s == StateHalfOpen && m.consecSuccess >= m.halfOpenMax {
			m.set(StateClosed, now)
		}
		return
	}
	m.failures++
	m.consecFailures++
	m.consecSuccess = 0
	switch s {
	case StateHalfOpen:
		m.set(StateOpen, now)
	case StateClosed:
		tripConsecutive := m.consecutive > 0 && m.consecFailures >= m.consecutive
		tripRatio := m.ratio > 0 && m.requests >= m.minRequests && float64(m.failures) >= m.ratio*float64(m.requests)
		if tripConsecutive || tripRatio {
			m.set(StateOpen, now)
		}
	}
}

// heldCall is a call that runs until the test releases it.
type heldCall struct {
	epoch   int
	release chan error
	done    chan error
}

// TestBreakerStateMachine drives a Breaker and the model with the same random
// actions (calls that succeed or fail at once, calls held open across other
// actions, and clock steps) inside a synctest bubble, where time.Sleep moves
// the fake clock, and checks that results, states and state changes agree.
func TestBreakerStateMachine(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rapid.SyncTest(rt, func(rt *rapid.T) {
			consecutive := rapid.IntRange(-1, 4).Draw(rt, "consecutiveFailures")
			ratio := rapid.SampledFrom([]float64{-0.5, 0, 0.25, 0.5, 1}).Draw(rt, "failureRatio")
			minRequests := rapid.IntRange(-1, 4).Draw(rt, "minRequests")
			interval := rapid.SampledFrom([]time.Duration{-time.Second, 0, time.Second, 5 * time.Second}).Draw(rt, "interval")
			openTimeout := rapid.SampledFrom([]time.Duration{-time.Second, 0, time.Second, 3 * time.Second}).Draw(rt, "openTimeout")
			halfOpen := rapid.IntRange(-1, 3).Draw(rt, "halfOpenRequests")
			// The model reads the options as their documentation says.
			m := &breakerModel{
				consecutive: max(consecutive, 0), ratio: max(ratio, 0), minRequests: max(minRequests, 1),
				interval: max(interval, 0), openTimeout: openTimeout, halfOpenMax: max(halfOpen, 1),
			}
			if consecutive == 0 && m.ratio == 0 {
				m.consecutive = DefaultConsecutiveFailures
			}
			switch {
			case openTimeout == 0:
				m.openTimeout = DefaultOpenTimeout
			case openTimeout < 0:
				m.openTimeout = time.Nanosecond
			}
			m.reset(time.Now())

			var (
				mu      sync.Mutex
				changes []string
			)
			b := NewBreaker("model",
				WithConsecutiveFailures(consecutive), WithFailureRatio(ratio, minRequests),
				WithCountInterval(interval), WithOpenTimeout(openTimeout), WithHalfOpenRequests(halfOpen),
				WithOnStateChange(func(_ string, from, to State) {
					mu.Lock()
					changes = append(changes, from.String()+"->"+to.String())
					mu.Unlock()
				}))
			ctx := context.Background()

			var held []*heldCall
			defer func() {
				for _, c := range held {
					close(c.release)
				}
			}()
			call := func(rt *rapid.T, ok bool) {
				epoch, wantErr := m.admit(time.Now())
				ran := false
				err := b.Run(ctx, func(context.Context) error {
					ran = true
					if ok {
						return nil
					}
					return errBoom
				})
				if wantErr != nil {
					if err != wantErr || ran {
						rt.Fatalf("Run = %v (op ran: %v), want %v", err, ran, wantErr)
					}
					return
				}
				if !ran || (ok && err != nil) || (!ok && err != errBoom) {
					rt.Fatalf("Run = %v (op ran: %v), want the op's result", err, ran)
				}
				m.done(epoch, ok, time.Now())
			}

			rt.Repeat(map[string]func(*rapid.T){
				"succeed": func(rt *rapid.T) { call(rt, true) },
				"fail":    func(rt *rapid.T) { call(rt, false) },
				"begin": func(rt *rapid.T) {
					if len(held) >= 3 {
						rt.Skip("enough calls held")
					}
					epoch, wantErr := m.admit(time.Now())
					c := &heldCall{epoch: epoch, release: make(chan error), done: make(chan error, 1)}
					var ran atomic.Bool
					go func() {
						c.done <- b.Run(ctx, func(context.Context) error { ran.Store(true); return <-c.release })
					}()
					synctest.Wait()
					if wantErr != nil {
						if err := <-c.done; err != wantErr || ran.Load() {
							rt.Fatalf("held Run = %v (op ran: %v), want %v", err, ran.Load(), wantErr)
						}
						return
					}
					if !ran.Load() {
						rt.Fatalf("held Run = %v, want the op to run", <-c.done)
					}
					held = append(held, c)
				},
				"end": func(rt *rapid.T) {
					if len(held) == 0 {
						rt.Skip("no call held")
					}
					i := rapid.IntRange(0, len(held)-1).Draw(rt, "which")
					ok := rapid.Bool().Draw(rt, "ok")
					c := held[i]
					held = append(held[:i], held[i+1:]...)
					var opErr error
					if !ok {
						opErr = errBoom
					}
					c.release <- opErr
					if err := <-c.done; err != opErr {
						rt.Fatalf("held Run = %v, want %v", err, opErr)
					}
					m.done(c.epoch, ok, time.Now())
				},
				"advance": func(rt *rapid.T) {
					d := rapid.SampledFrom([]time.Duration{
						time.Nanosecond, 500 * time.Millisecond, time.Second, 3 * time.Second, 5*time.Second + time.Nanosecond, time.Minute,
					}).Draw(rt, "step")
					time.Sleep(d)
				},
				"": func(rt *rapid.T) {
					want := m.current(time.Now())
					if got := b.State(); got != want {
						rt.Fatalf("State = %v, model says %v", got, want)
					}
					mu.Lock()
					defer mu.Unlock()
					if diff := cmp.Diff(m.changes, changes); diff != "" {
						rt.Fatalf("state changes (-model +breaker):\n%s", diff)
					}
				},
			})
		})
	})
}

// FuzzBreakerOptions checks that no options make NewBreaker or Run panic,
// and that a breaker opens only after at least one failure.
func FuzzBreakerOptions(f *testing.F) {
	f.Add(0, 0.0, 0, int64(0), int64(0), 0, uint16(0xffff))
	f.Add(-3, -1.0, -7, int64(-1), int64(-1), -2, uint16(0x5555))
	f.Add(1<<40, 1e308, 1<<40, int64(time.Hour), int64(time.Nanosecond), 1<<40, uint16(0))
	f.Fuzz(func(t *testing.T, consecutive int, ratio float64, minRequests int, interval, openTimeout int64, halfOpen int, outcomes uint16) {
		b := NewBreaker("fuzz",
			WithConsecutiveFailures(consecutive), WithFailureRatio(ratio, minRequests),
			WithCountInterval(time.Duration(interval)), WithOpenTimeout(time.Duration(openTimeout)), WithHalfOpenRequests(halfOpen))
		failed := false
		for i := range 16 {
			if b.State() == StateOpen && !failed {
				t.Fatal("opened before any failure")
			}
			op := succeed
			if outcomes&(1<<i) == 0 {
				op, failed = fail, true
			}
			if err := b.Run(context.Background(), op); err != nil && err != errBoom && err != ErrOpen && err != ErrTooManyRequests {
				t.Fatalf("Run = %v", err)
			}
		}
	})
}
