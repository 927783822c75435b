package faults_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/faultline-go/faultline/faults"
)

// Each constructor makes a plain value; String gives its plan text form.
func Example() {
	for _, f := range []faults.Fault{
		faults.Latency(200 * time.Millisecond),
		faults.LatencyJitter(time.Second, 250*time.Millisecond),
		faults.Error("timeout"),
		faults.Panic("oops"),
		faults.Hang(),
		faults.HTTPStatus(503, "try later"),
		faults.Abort(),
		faults.BadConn(),
		faults.Corrupt(),
	} {
		fmt.Printf("%-8v %v\n", f.Kind, f)
	}
	// Output:
	// latency  delay(200ms)
	// latency  delay(1s,250ms)
	// error    error(timeout)
	// panic    panic(oops)
	// hang     hang
	// status   status(503,try later)
	// abort    abort
	// badconn  badconn
	// corrupt  corrupt
}

// ErrInjected tells an injected failure from a real one, however deeply it
// is wrapped.
func ExampleErrInjected() {
	err := faults.Error("timeout").Inject(context.Background(), "db.query", 0)
	err = fmt.Errorf("loading user: %w", err)

	fmt.Println(err)
	fmt.Println(errors.Is(err, faults.ErrInjected))
	fmt.Println(errors.Is(errors.New("real timeout"), faults.ErrInjected))
	// Output:
	// loading user: faultline: injected error at db.query: timeout
	// true
	// false
}

// An injected error carries the point and the fault; a BadConn error also
// matches driver.ErrBadConn, so database/sql retries on a new connection.
func ExampleInjectedError() {
	err := error(faults.NewInjectedError("db.query", faults.BadConn()))

	var ie *faults.InjectedError
	if errors.As(err, &ie) {
		fmt.Println(ie.Point, ie.Fault.Kind)
	}
	fmt.Println(errors.Is(err, driver.ErrBadConn))
	// Output:
	// db.query badconn
	// true
}

func ExampleParseFault() {
	f, err := faults.ParseFault(`error("card declined", 402)`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v %q %d\n", f.Kind, f.Message, f.Code)

	_, err = faults.ParseFault("delay(soon)")
	fmt.Println(err)
	// Output:
	// error "card declined" 402
	// fault "delay(soon)": "soon" is not a duration
}

// Apply carries a fault out. Latency respects the context: here the
// deadline comes first.
func ExampleFault_Inject() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	err := faults.Latency(time.Hour).Inject(ctx, "payments.charge", 0)
	fmt.Println(err)
	// Output:
	// context deadline exceeded
}

func ExampleFault_Validate() {
	fmt.Println(faults.HTTPStatus(42, "").Validate())
	fmt.Println(faults.Latency(time.Second).Validate())
	// Output:
	// code: 42 is not an HTTP status in [200,999]
	// <nil>
}

// Duration picks a latency fault's delay from a random word; the engine
// passes one derived from its seed, so jitter replays too.
func ExampleFault_Duration() {
	f := faults.LatencyJitter(100*time.Millisecond, 50*time.Millisecond)
	fmt.Println(f.Duration(0), f.Duration(20_000_000))
	// Output:
	// 100ms 120ms
}

func ExampleSleep() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fmt.Println(faults.Sleep(ctx, time.Hour))
	// Output:
	// context canceled
}
