package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/chaos/gameday"
	"go.uber.org/goleak"
)

// TestMain serves as an instance when the test starts this binary as one,
// and runs the tests otherwise.
func TestMain(m *testing.M) {
	if id := os.Getenv(envInstance); id != "" {
		if err := serveInstance(id); err != nil {
			fmt.Fprintf(os.Stderr, "instance %s: %v\n", id, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// TestFleetGameDay is the proof of a fleet game day: it starts the
// service as separate processes on loopback, runs the game day across
// them with a share of instances, and checks that the stop condition
// aborted it, that every instance's kill switch is thrown (read back over
// its admin API, from the process itself), and that the report lists
// every instance with whether it took part.
func TestFleetGameDay(t *testing.T) {
	for _, n := range []int{4} {
		t.Run(fmt.Sprintf("%d instances", n), func(t *testing.T) {
			cfg := config{instances: n, seed: 6, plan: defaultPlan, budget: 25, duration: 20 * time.Second, rate: 100}
			token := "test-token"
			fleet, stop, err := startFleet(n, cfg.seed, token, os.Stderr)
			t.Cleanup(func() {
				if err := stop(); err != nil {
					t.Errorf("stopping the fleet: %v", err)
				}
				for _, in := range fleet {
					if in.cmd.ProcessState == nil || !in.cmd.ProcessState.Exited() {
						t.Errorf("%s: process %d still running", in.id, in.cmd.Process.Pid)
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(fleet) != n {
				t.Fatalf("%d instances started, want %d", len(fleet), n)
			}
			var log bytes.Buffer
			rep, err := runGameDay(t.Context(), cfg, fleet, token, &log)
			if !errors.Is(err, gameday.ErrAborted) {
				t.Fatalf("run: %v, want ErrAborted; log:\n%s", err, log.String())
			}
			want := fmt.Sprintf("%s ≤ %d", budgetProbe, cfg.budget)
			if rep.Outcome != gameday.OutcomeAborted || rep.StopReason != want {
				t.Fatalf("outcome %s stop reason %q, want aborted by %q; log:\n%s", rep.Outcome, rep.StopReason, want, log.String())
			}
			if rep.Fleet == nil || len(rep.Fleet.Instances) != n || rep.Fleet.Killed != n {
				t.Fatalf("fleet section %+v; want %d instances, all killed", rep.Fleet, n)
			}

			md := rep.Markdown()
			took := 0
			var injected uint64
			for i, in := range fleet {
				c, err := admin.NewClient(in.base, token)
				if err != nil {
					t.Fatal(err)
				}
				st, err := c.Status(t.Context())
				if err != nil {
					t.Fatalf("%s: status: %v", in.id, err)
				}
				if !st.Disabled || st.Armed || st.Instance != in.id {
					t.Errorf("%s: status disabled %v armed %v instance %q; want its kill switch thrown", in.id, st.Disabled, st.Armed, st.Instance)
				}
				ir := rep.Fleet.Instances[i]
				if ir.Instance != in.id || ir.URL != in.base || !ir.Killed || !ir.Disabled {
					t.Errorf("report of %s: %+v; want it named, killed and disabled", in.id, ir)
				}
				if want := armedAlone(in.id, cfg.seed, cfg.plan); ir.TookPart != want {
					t.Errorf("%s took part %v, want %v", in.id, ir.TookPart, want)
				}
				if ir.TookPart {
					took++
				} else if ir.Injected != 0 {
					t.Errorf("%s did not take part but had %d faults", in.id, ir.Injected)
				}
				injected += ir.Injected
				row := fmt.Sprintf("| `%s` | %s | %d | %s |", in.id, in.base, cfg.seed, map[bool]string{true: "yes", false: "no"}[ir.TookPart])
				if !strings.Contains(md, row) {
					t.Errorf("the report lacks the row %q:\n%s", row, md)
				}
			}
			if took == 0 || took == n || rep.Fleet.TookPart != took {
				t.Errorf("%d of %d instances took part (report: %d); the share should split the fleet", took, n, rep.Fleet.TookPart)
			}
			if injected <= uint64(cfg.budget) || injected != totalInjected(rep) {
				t.Errorf("instances injected %d faults, the report's points %d; want equal and over the budget of %d", injected, totalInjected(rep), cfg.budget)
			}
			if !strings.Contains(md, fmt.Sprintf("| **fleet** | | | %d of %d |", took, n)) || !strings.Contains(md, fmt.Sprintf("%d of %d thrown", n, n)) {
				t.Errorf("the report lacks the fleet row:\n%s", md)
			}
		})
	}
}

// armedAlone reports whether an engine of the instance, alone in this
// process, is armed by plan: which instances a share of instances picks,
// found without the fleet.
func armedAlone(id string, seed uint64, plan string) bool {
	e := chaos.New(chaos.WithSeed(seed), chaos.WithInstance(id))
	if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
		panic(err)
	}
	return e.Armed()
}

func totalInjected(rep *gameday.Report) uint64 {
	var n uint64
	for _, pi := range rep.Injections {
		n += pi.Total
	}
	return n
}
