package monkey_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/monkey"
	"github.com/faultline-go/faultline/faults"
)

// lockedBuffer is a log sink safe for the monkey's goroutine and the
// test's.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// TestRunNeverUndoesKill throws the kill switch at a random instant around
// the end of each of many short activations, while the monkey puts back a
// 200-rule base plan, slow enough to validate and compile that a kill lands
// inside it. Every kill must hold until the test re-arms: a monkey that
// checks the engine and then applies, in two steps, undid 7% of them here. Every other time the test re-arms at once, as an operator
// who resets the engine does: the monkey must then leave the engine as the
// rearm left it, with no plan, and not put its base back.
func TestRunNeverUndoesKill(t *testing.T) {
	const activations = 600
	var base chaos.Plan
	for i := range 200 {
		base.Rules = append(base.Rules, chaos.Rule{Point: fmt.Sprintf("base.%d", i), Fault: faults.Latency(time.Millisecond), Rate: 0.01})
	}
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		var logs lockedBuffer
		m, err := monkey.New(e, sure,
			monkey.WithBase(base),
			monkey.WithMeanInterval(time.Minute),
			monkey.WithLength(time.Second),
			monkey.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		sched := m.Schedule(time.Now(), activations)
		start(t, m)
		rng := rand.New(rand.NewPCG(1, 2))
		var undone, reapplied []uint64
		for _, a := range sched {
			// Wake at the activation's end, as the monkey does, and throw
			// the switch after a random share of twice the work of the
			// monkey's deactivation (validating the base, twice), so that
			// it lands before, inside or after it.
			<-time.After(time.Until(a.End))
			_ = chaos.Plan{Rules: base.Rules[:rng.IntN(len(base.Rules))]}.Validate()
			_ = chaos.Plan{Rules: base.Rules[:rng.IntN(len(base.Rules))]}.Validate()
			e.Disable("test: kill")
			if a.N%2 == 0 {
				e.Rearm("test: reset")
				reset := e.Active().Generation
				synctest.Wait() // the monkey has ended the activation and sleeps until the next
				if e.Active().Generation != reset {
					reapplied = append(reapplied, a.N)
				}
				continue
			}
			synctest.Wait()
			if act := e.Active(); !act.Disabled || act.DisabledReason != "test: kill" {
				undone = append(undone, a.N)
			}
			e.Rearm("test")
		}
		if len(undone) != 0 {
			t.Errorf("%d of %d kills undone by the monkey, at activations %v", len(undone), activations/2, undone[:min(len(undone), 20)])
		}
		if len(reapplied) != 0 {
			t.Errorf("%d of %d resets followed by the monkey's apply, at activations %v", len(reapplied), activations/2, reapplied[:min(len(reapplied), 20)])
		}
		if h := m.History(); len(h) != min(activations, monkey.HistorySize) || h[len(h)-1].Err != nil {
			t.Errorf("history holds %d, the last %+v; want every activation applied", len(h), h[len(h)-1])
		}
		t.Logf("kills before the monkey's deactivation, which it left: %d; after it: %d",
			logs.count("engine left as another applier or the kill switch set it"),
			logs.count(`msg="faultline: monkey activation ended" activation=`))
	})
}
