package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/faultline-go/faultline/faults"
)

// TestOutcomes: what resilience code reports of an injected error is
// counted at the point it came from, through any wrapping.
func TestOutcomes(t *testing.T) {
	e := engineWith(t, "db.query=error;cache=error")
	q, c := e.Point("db.query"), e.Point("cache")
	ctx := context.Background()
	faults.Absorbed(fmt.Errorf("attempt 1: %w", q.Inject(ctx)))
	faults.Absorbed(q.Inject(ctx))
	faults.Escaped(errors.Join(errors.New("gave up"), c.Inject(ctx)))
	faults.Absorbed(nil)
	faults.Escaped(errors.New("a real failure"))
	faults.Absorbed(faults.NewInjectedError("db.query", faults.Error("made by hand, no engine")))
	got := map[string][2]uint64{}
	for _, ps := range e.Stats().Points {
		got[ps.Point] = [2]uint64{ps.Absorbed, ps.Escaped}
	}
	want := map[string][2]uint64{"db.query": {2, 0}, "cache": {0, 1}}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: absorbed, escaped = %v, want %v", p, got[p], w)
		}
	}
}
