package resilience_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/middleware/resilience"
)

var errUnavailable = errors.New("unavailable")

func ExampleRetry() {
	calls := 0
	flaky := func(context.Context) error {
		calls++
		if calls < 3 {
			return errUnavailable
		}
		return nil
	}
	r := resilience.Retry{
		MaxAttempts:     5,
		InitialInterval: time.Millisecond,
		Jitter:          -1, // no jitter, so that the waits print the same every run
		OnRetry: func(attempt int, err error, wait time.Duration) {
			fmt.Printf("attempt %d: %v; next in %v\n", attempt, err, wait)
		},
	}
	err := r.Run(context.Background(), flaky)
	fmt.Println("calls:", calls, "err:", err)

	// Giving up returns a *RetryError that wraps the last error.
	err = resilience.Retry{MaxAttempts: 2, InitialInterval: time.Millisecond}.Run(context.Background(),
		func(context.Context) error { return errUnavailable })
	var re *resilience.RetryError
	fmt.Println(err, errors.Is(err, errUnavailable), errors.As(err, &re) && re.Attempts == 2)
	// Output:
	// attempt 1: unavailable; next in 1ms
	// attempt 2: unavailable; next in 2ms
	// calls: 3 err: <nil>
	// resilience: gave up after 2 attempts: unavailable true true
}

func ExamplePermanent() {
	errBadRequest := errors.New("bad request")
	calls := 0
	err := resilience.Retry{MaxAttempts: 5}.Run(context.Background(), func(context.Context) error {
		calls++
		return resilience.Permanent(errBadRequest) // retrying will not help
	})
	fmt.Println("calls:", calls, errors.Is(err, errBadRequest))
	// Output:
	// calls: 1 true
}

func ExampleNewBreaker() {
	b := resilience.NewBreaker("payments",
		resilience.WithConsecutiveFailures(2),
		resilience.WithOpenTimeout(time.Minute),
		resilience.WithOnStateChange(func(name string, from, to resilience.State) {
			fmt.Printf("%s: %v -> %v\n", name, from, to)
		}),
	)
	down := func(context.Context) error { return errUnavailable }
	for range 3 {
		err := b.Run(context.Background(), down)
		fmt.Println(err, errors.Is(err, resilience.ErrOpen))
	}
	fmt.Println("state:", b.State())
	// Output:
	// unavailable false
	// payments: closed -> open
	// unavailable false
	// resilience: circuit breaker is open true
	// state: open
}

func ExampleTimeout() {
	slow := func(ctx context.Context) error {
		<-ctx.Done() // a well-behaved op gives up when its context ends
		return ctx.Err()
	}
	err := resilience.Timeout{Duration: 10 * time.Millisecond}.Run(context.Background(), slow)
	fmt.Println(err, errors.Is(err, resilience.ErrTimeout), errors.Is(err, context.DeadlineExceeded))
	// Output:
	// resilience: timeout true true
}

func ExampleNewBulkhead() {
	b := resilience.NewBulkhead(1, resilience.WithMaxWait(time.Millisecond))
	started, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- b.Run(context.Background(), func(context.Context) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	fmt.Println("in flight:", b.InFlight(), "of", b.Limit())
	err := b.Run(context.Background(), func(context.Context) error { return nil })
	fmt.Println(err, errors.Is(err, resilience.ErrBulkheadFull))
	close(release)
	fmt.Println(<-done)
	// Output:
	// in flight: 1 of 1
	// resilience: bulkhead is full true
	// <nil>
}

func ExampleFallback() {
	fetchPrice := func(context.Context) (float64, error) { return 0, errUnavailable }
	fb := resilience.Fallback[float64]{
		Value: 9.99, // the last price we saw
		When:  func(err error) bool { return !errors.Is(err, context.Canceled) },
	}
	price, err := fb.Do(context.Background(), resilience.Retry{MaxAttempts: 1}, fetchPrice)
	fmt.Println(price, err)
	// Output:
	// 9.99 <nil>
}

func ExampleFallbackFunc() {
	degrade := resilience.FallbackFunc(func(ctx context.Context, err error) error {
		if errors.Is(err, resilience.ErrOpen) {
			fmt.Println("serving the cached page")
			return nil
		}
		return err
	})
	open := resilience.StrategyFunc(func(context.Context, func(context.Context) error) error { return resilience.ErrOpen })
	err := resilience.Chain(degrade, open).Run(context.Background(), func(context.Context) error { return nil })
	fmt.Println(err)
	// Output:
	// serving the cached page
	// <nil>
}

func ExampleStrategyFunc() {
	logged := resilience.StrategyFunc(func(ctx context.Context, op func(context.Context) error) error {
		err := op(ctx)
		fmt.Println("call finished:", err)
		return err
	})
	_ = logged.Run(context.Background(), func(context.Context) error { return errUnavailable })
	// Output:
	// call finished: unavailable
}

func ExampleChain() {
	breaker := resilience.NewBreaker("inventory", resilience.WithConsecutiveFailures(3))
	bulkhead := resilience.NewBulkhead(8)
	p := resilience.Chain(
		resilience.Retry{MaxAttempts: 3, InitialInterval: time.Millisecond},
		breaker,
		bulkhead,
		resilience.Timeout{Duration: time.Second},
	)
	calls := 0
	err := p.Run(context.Background(), func(context.Context) error {
		calls++
		return errUnavailable
	})
	fmt.Println("calls:", calls, "breaker:", breaker.State())
	fmt.Println(errors.Is(err, errUnavailable))
	// Output:
	// calls: 3 breaker: open
	// true
}

func ExampleDo() {
	p := resilience.Retry{MaxAttempts: 3, InitialInterval: time.Millisecond}
	calls := 0
	user, err := resilience.Do(context.Background(), p, func(context.Context) (string, error) {
		calls++
		if calls == 1 {
			return "", errUnavailable
		}
		return "ada", nil
	})
	fmt.Println(user, err, calls)
	// Output:
	// ada <nil> 2
}

func ExampleTransport() {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "hello")
	}))
	defer srv.Close()

	client := &http.Client{Transport: resilience.Transport(
		nil, // http.DefaultTransport
		resilience.Chain(
			resilience.Retry{MaxAttempts: 3, InitialInterval: time.Millisecond},
			resilience.Timeout{Duration: 5 * time.Second},
		),
		resilience.WithFailureStatus(resilience.TransientStatus),
	)}
	defer client.CloseIdleConnections()

	resp, err := client.Get(srv.URL) // a GET is safe to send again
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), "after", hits.Load(), "requests")
	// Output:
	// 200 hello after 2 requests
}
