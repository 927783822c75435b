package gameday_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos/gameday"
)

// TestSettle runs an experiment that breaks the hypothesis (every call fails)
// with load that goes on after the faults, into a window that forgets
// after 300ms, and checks what the after-probes conclude for each settle
// time. Without settling, the window still holds the faults' samples and
// a healthy service reads as one that did not recover.
func TestSettle(t *testing.T) {
	const plan = "db.query=error(timeout)"
	tests := []struct {
		name          string
		settle        time.Duration
		wantSettle    time.Duration // in the report
		wantRecovered bool
		wantRecovery  time.Duration
		wantChecks    int // after the faults: recovery and after phases
	}{
		// The default is the window's max age; checked every 100ms, the
		// success ratio is back 200ms after the faults.
		{name: "default from the window", settle: 0, wantSettle: 300 * time.Millisecond, wantRecovered: true, wantRecovery: 200 * time.Millisecond, wantChecks: 3},
		// Longer settling stops at the first check that passes.
		{name: "long", settle: 5 * time.Second, wantSettle: 5 * time.Second, wantRecovered: true, wantRecovery: 200 * time.Millisecond, wantChecks: 3},
		// No settling: one check right away, which still sees the faults.
		{name: "off", settle: -1, wantSettle: 0, wantChecks: 1},
		// Too short: the last check at 50ms sees them too.
		{name: "too short", settle: 50 * time.Millisecond, wantSettle: 50 * time.Millisecond, wantChecks: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep *gameday.Report
			synctest.Test(t, func(t *testing.T) { rep = runSettle(t, plan, false, tt.settle, false) })
			if rep.Settle != tt.wantSettle || rep.Recovered != tt.wantRecovered || rep.Recovery != tt.wantRecovery {
				t.Errorf("settle %v recovered %v recovery %v, want %v %v %v", rep.Settle, rep.Recovered, rep.Recovery, tt.wantSettle, tt.wantRecovered, tt.wantRecovery)
			}
			checks := map[time.Duration]bool{}
			var afterFailed bool
			for _, p := range rep.Probes {
				switch p.Phase {
				case gameday.PhaseRecovery:
					checks[p.At] = true
				case gameday.PhaseAfter:
					checks[p.At] = true
					afterFailed = afterFailed || !p.Result.OK
				}
			}
			if len(checks) != tt.wantChecks {
				t.Errorf("%d checks after the faults, want %d: %v", len(checks), tt.wantChecks, checks)
			}
			if afterFailed == tt.wantRecovered {
				t.Errorf("after-probes failed: %v, want %v", afterFailed, !tt.wantRecovered)
			}
			md := rep.Markdown()
			recovered := strings.Contains(md, "did not recover")
			if recovered == tt.wantRecovered {
				t.Errorf("post-mortem says 'did not recover': %v, want %v", recovered, !tt.wantRecovered)
			}
			if tt.wantRecovered && !strings.Contains(md, "| Recovery | back 200ms after the faults went off") {
				t.Errorf("post-mortem does not say how long recovery took:\n%s", md)
			}
		})
	}
}

// TestTimelineCollapsesRepeats: a probe failing on every check makes one
// timeline line with a count and a span, not one per check, and every
// failure is still in the probe records.
func TestTimelineCollapsesRepeats(t *testing.T) {
	var rep *gameday.Report
	synctest.Test(t, func(t *testing.T) { rep = runSettle(t, "db.query=80%error(timeout)", false, 0, true) })
	var failures []time.Duration
	for _, p := range rep.Probes {
		if p.Phase == gameday.PhaseDuring && p.Result.Probe == "success ratio" && !p.Result.OK {
			failures = append(failures, p.At)
		}
	}
	var lines []gameday.TimelineEntry
	for _, e := range rep.Timeline {
		if e.Phase == gameday.PhaseDuring && strings.HasPrefix(e.Message, "probe success ratio failed") {
			lines = append(lines, e)
		}
	}
	if len(failures) < 3 || len(lines) != 1 {
		t.Fatalf("%d failures made %d timeline lines, want one: %+v", len(failures), len(lines), lines)
	}
	if l := lines[0]; l.Count != len(failures) || l.At != failures[0] || l.Until != failures[len(failures)-1] {
		t.Errorf("line %+v, want count %d from %v to %v", l, len(failures), failures[0], failures[len(failures)-1])
	}
}
