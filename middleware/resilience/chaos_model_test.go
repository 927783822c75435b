package resilience_test

// The model the chaos-driven tests check the chain against, and the binomial
// bound their success rates are held to.

import (
	"errors"
	"fmt"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// falseAlarm is the chance the statistical bounds below allow a correct chain
// to fail them, per rapid case: the bounds are binomial quantiles at this
// level, so a run of the whole property (100 cases) fails by chance with
// probability under 1e-7.
const falseAlarm = 1e-9

// binomialQuantile returns the smallest m such that P(X > m) <= alpha for X
// binomial with n trials of probability q: the most successes (here, failed
// calls) that n independent trials show, except with probability alpha.
func binomialQuantile(n int, q, alpha float64) int {
	switch {
	case q <= 0:
		return 0
	case q >= 1:
		return n
	}
	lq, lnq := math.Log(q), math.Log1p(-q)
	lgN, _ := math.Lgamma(float64(n + 1))
	pmf := func(i int) float64 {
		a, _ := math.Lgamma(float64(i + 1))
		b, _ := math.Lgamma(float64(n - i + 1))
		return math.Exp(lgN - a - b + float64(i)*lq + float64(n-i)*lnq)
	}
	tail := 0.0 // P(X > m) for the m being tried
	for m := n; m > 0; m-- {
		tail += pmf(m)
		if tail > alpha {
			return m
		}
	}
	return 0
}

func TestBinomialQuantile(t *testing.T) {
	tests := []struct {
		n     int
		q     float64
		alpha float64
		want  int
	}{
		{n: 10, q: 0, alpha: 1e-9, want: 0},
		{n: 10, q: 1, alpha: 1e-9, want: 10},
		// P(X > 8) = 11/1024 ≈ 0.0107 and P(X > 9) = 1/1024 ≈ 0.000977.
		{n: 10, q: 0.5, alpha: 0.011, want: 8},
		{n: 10, q: 0.5, alpha: 0.01, want: 9},
		{n: 10, q: 0.5, alpha: 0.001, want: 9},
		{n: 10, q: 0.5, alpha: 0.0009, want: 10},
		// P(X > 0) = 1 - 0.99^100 ≈ 0.634; P(X > 1) ≈ 0.264.
		{n: 100, q: 0.01, alpha: 0.5, want: 1},
		{n: 100, q: 0.01, alpha: 0.7, want: 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d,q=%g,alpha=%g", tt.n, tt.q, tt.alpha), func(t *testing.T) {
			if got := binomialQuantile(tt.n, tt.q, tt.alpha); got != tt.want {
				t.Errorf("binomialQuantile = %d, want %d", got, tt.want)
			}
		})
	}
}

// callOutcome is what one call through the chain came to.
type callOutcome struct {
	// Attempts counts the times Retry ran the rest of the chain, rejected
	// attempts included.
	Attempts int
	// Result classes the outcome: "ok", or the last attempt's failure
	// ("injected", "timeout", "open", a status such as "503", "reset").
	Result string
	// Latency is the call's duration in (simulated) time, when the test
	// measures it.
	Latency time.Duration
}

// modelBreaker is a consecutive-failures circuit breaker as the chain's
// Breaker behaves when calls never overlap (HalfOpenMaxRequests 1). Its open
// state ends at the next call when reopens is set (the tests make sure the
// open timeout has passed by then), and never otherwise (an open timeout far
// longer than the test).
type modelBreaker struct {
	consecutive int
	reopens     bool
	state       resilience.State
	failures    int
	changes     []string
}

func (m *modelBreaker) move(to resilience.State) {
	m.changes = append(m.changes, m.state.String()+"->"+to.String())
	m.state, m.failures = to, 0
}

// admit reports whether the breaker lets an attempt through.
func (m *modelBreaker) admit() bool {
	if m.state == resilience.StateOpen {
		if !m.reopens {
			return false
		}
		m.move(resilience.StateHalfOpen)
	}
	return true
}

// record counts the outcome of an admitted attempt.
func (m *modelBreaker) record(ok bool) {
	switch m.state {
	case resilience.StateHalfOpen:
		if ok {
			m.move(resilience.StateClosed)
		} else {
			m.move(resilience.StateOpen)
		}
	case resilience.StateClosed:
		if ok {
			m.failures = 0
			return
		}
		if m.failures++; m.failures >= m.consecutive {
			m.move(resilience.StateOpen)
		}
	}
}

// attemptOutcome is what one attempt that reached the dependency came to.
type attemptOutcome struct {
	ok     bool
	took   time.Duration
	result string
}

// modelCall predicts one call of Retry{MaxAttempts: attempts} → breaker → op,
// where next gives the outcome of each attempt that reaches op, and waits[j]
// is the nominal backoff after attempt j+1. Retry stops on a rejection by an
// open breaker (its default classifier) and retries every other failure.
func modelCall(attempts int, b *modelBreaker, waits []time.Duration, next func() attemptOutcome) callOutcome {
	var c callOutcome
	for {
		c.Attempts++
		if !b.admit() {
			c.Result = "open"
			return c
		}
		a := next()
		b.record(a.ok)
		c.Latency += a.took
		c.Result = a.result
		if a.ok || c.Attempts == attempts {
			return c
		}
		c.Latency += waits[c.Attempts-1]
	}
}

// classify names the error a call through the chain returned.
func classify(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, resilience.ErrOpen):
		return "open"
	case errors.Is(err, resilience.ErrTooManyRequests):
		return "busy"
	case errors.Is(err, resilience.ErrTimeout):
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, faults.ErrInjected):
		return "injected"
	}
	return err.Error()
}
