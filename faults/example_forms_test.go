package faults_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/faultline-go/faultline/faults"
)

// errConnClosed is the typed result a custom fault hands back.
var errConnClosed = errors.New("connection closed by the fault")

func ExampleRegister() {
	_ = faults.Register("example.closeconn", func(ctx context.Context, point string) error {
		return errConnClosed // close a connection, return a fake result…
	})
	f, _ := faults.ParseFault("example.closeconn")
	err := f.Inject(context.Background(), "db.query", 0)
	fmt.Println(f)
	fmt.Println(errors.Is(err, errConnClosed), errors.Is(err, faults.ErrInjected))
	// Output:
	// custom(example.closeconn)
	// true true
}

func ExampleDist() {
	f, _ := faults.ParseFault("delay(pareto(50ms,1.5,2s))")
	fmt.Println(f.Dist, f.Delay, f.Shape, f.Max)
	fmt.Println(f.Duration(0) >= 50*time.Millisecond, f.Duration(0) <= 2*time.Second)
	// Output:
	// pareto 50ms 1.5 2s
	// true true
}
