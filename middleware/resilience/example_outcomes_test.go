package resilience_test

import (
	"context"
	"fmt"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// A retry reports what became of the faults injected under it: the stats
// of their point then read as a coverage figure for the retry.
func ExampleRetry_outcomes() {
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan("sql.query=4*error")); err != nil {
		fmt.Println(err)
		return
	}
	query := e.Point("sql.query")
	retry := resilience.Retry{MaxAttempts: 3, InitialInterval: -1}
	for range 3 {
		// The first call fails 3 times and gives up; the second fails once,
		// then succeeds; the third succeeds at once.
		_ = retry.Run(context.Background(), query.Inject)
	}
	for _, ps := range e.Stats().Points {
		fmt.Printf("%s: %d injected, %d absorbed, %d escaped\n", ps.Point, ps.Fired, ps.Absorbed, ps.Escaped)
	}
	// Output:
	// sql.query: 4 injected, 1 absorbed, 3 escaped
}
