package chaostest

import (
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/gameday"
)

// Replay returns a new engine set up as the engine of a game day run was
// (r is the run's report, from package gameday): the report's seed and
// instance id, with the plan as it was applied. Driving its points with the
// same number of calls in the same order per point reproduces the run's
// injections decision for decision; compare them with the report's
// per-point Sequence. Rules that decide on labels, time
// windows or TTLs also need the same labels and (simulated) times.
func Replay(t testing.TB, r *gameday.Report) *chaos.Engine {
	t.Helper()
	if r == nil {
		t.Fatalf("faultline: Replay of a nil report")
	}
	e := chaos.New(chaos.WithSeed(r.Seed), chaos.WithInstance(r.Instance))
	if err := e.Apply(r.Plan, chaos.FromSource("replay: "+r.Title)); err != nil {
		t.Fatalf("faultline: replaying report %q: %v", r.Title, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("faultline: replaying report %q with seed %d", r.Title, r.Seed)
		}
	})
	return e
}

// ReplayFile is [Replay] for a report saved as JSON.
func ReplayFile(t testing.TB, path string) *chaos.Engine {
	t.Helper()
	r, err := gameday.ReadReport(path)
	if err != nil {
		t.Fatalf("faultline: %v", err)
	}
	return Replay(t, r)
}
