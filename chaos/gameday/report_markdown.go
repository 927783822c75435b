package gameday

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/faultline-go/faultline/faults"
)

// Markdown renders the report as a blameless post-mortem draft, with the
// sections teams use: Summary, Impact, Timeline, Detection, What went
// well, What went wrong, Where we got lucky, and Action items. The action
// items are suggestions drawn from what happened: an alert for a probe
// that caught the problem late, a replay test for each point that broke
// the hypothesis. The text depends only on the report, so equal reports
// render byte-identical drafts.
func (r *Report) Markdown() string {
	var m markdown
	during := r.failedProbes(PhaseDuring, PhaseStop)
	after := r.failedProbes(PhaseAfter)
	r.mdHeading(&m)
	r.mdSummary(&m)
	r.mdFigures(&m)
	r.mdFleet(&m)
	r.mdImpact(&m, during, after)
	r.mdTimeline(&m)
	r.mdDetection(&m)
	m.list("What went well", r.wentWell(), "_Nothing stood out; add what the team saw._", "- ")
	m.list("What went wrong", r.wentWrong(during, after), "_Nothing the probes saw; add what the team saw._", "- ")
	m.list("Where we got lucky", r.gotLucky(during), "_Add near misses the team noticed._", "- ")
	m.list("Action items", r.actionItems(during, after), "Keep this experiment as a regression test: replay it with `chaostest.Replay`.", "- [ ] ")
	return strings.TrimSuffix(m.String(), "\n")
}

// markdown collects the text of a post-mortem draft.
type markdown struct{ strings.Builder }

func (m *markdown) printf(format string, args ...any) { fmt.Fprintf(&m.Builder, format, args...) }

// list writes a section of bullets, or of the one item empty if there are
// none.
func (m *markdown) list(title string, items []string, empty, bullet string) {
	m.printf("## %s\n\n", title)
	if len(items) == 0 {
		items = []string{empty}
	}
	for _, s := range items {
		m.printf("%s%s\n", bullet, s)
	}
	m.printf("\n")
}

// mdHeading writes the title and the note under it.
func (r *Report) mdHeading(m *markdown) {
	title := r.Title
	if title == "" {
		title = "Untitled experiment"
	}
	m.printf("# Post-mortem draft: %s\n\n", title)
	m.printf("_A blameless review of a game day run by faultline. Edit freely: the facts below come from the run; the judgements are drafts._\n\n")
}

// mdSummary writes the Summary section: the hypothesis, the outcome, and
// what a replay needs.
func (r *Report) mdSummary(m *markdown) {
	m.printf("## Summary\n\n")
	if r.Hypothesis != "" {
		m.printf("**Hypothesis:** %s\n\n", r.Hypothesis)
	}
	deviated := ""
	if r.Deviated {
		deviated = " (hypothesis did not hold)"
	}
	m.printf("**Status:** %s%s  \n", r.Outcome, deviated)
	m.printf("**Verdict:** %s  \n", r.Verdict)
	m.printf("**Run:** %s, planned for %v, faults off after %v  \n", r.Started.UTC().Format(time.RFC3339), r.Duration, r.FaultsOff.Round(time.Millisecond))
	if r.Fleet != nil {
		m.printf("**Replay:** each instance's seed and instance, under Fleet  \n")
	} else {
		m.printf("**Replay:** seed `%d`, instance `%s`  \n", r.Seed, r.Instance)
	}
	m.printf("**Plan:** `%s`\n\n", r.Plan.String())
}

// mdFigures writes the Figures section: the numbers behind the verdict,
// whether it held or not.
func (r *Report) mdFigures(m *markdown) {
	if r.Outcome == OutcomeFailed {
		return
	}
	m.printf("## Figures\n\n| Figure | Value |\n|---|---|\n")
	if w, ok := r.extreme("success_ratio", false); ok {
		m.printf("| Worst success ratio | %s (`%s` at %v over %d samples; want ≥ %s) |\n",
			fmtRatio(w.Result.Value), w.Result.Probe, w.At.Round(time.Millisecond), w.Result.Samples, fmtRatio(w.Result.Threshold))
	}
	if p, ok := r.extreme("p99_latency", true); ok {
		m.printf("| Peak p99 latency | %v (`%s` at %v over %d samples; want ≤ %v) |\n",
			fmtNanos(p.Result.Value), p.Result.Probe, p.At.Round(time.Millisecond), p.Result.Samples, fmtNanos(p.Result.Threshold))
	}
	m.printf("| Requests | %d calls at the faulted points |\n", r.Calls)
	m.printf("| Injections | %s |\n", r.injectionsByPoint())
	m.printf("| Recovery | %s |\n", r.recoveryText())
	m.printf("| Environment | %s |\n", r.environmentText())
	if r.ReplayCommand != "" {
		m.printf("| Rerun | `%s` |\n", strings.ReplaceAll(r.ReplayCommand, "|", `\|`))
	}
	if r.Fleet != nil {
		m.printf("| Replay in a test | one instance at a time: `chaostest.Replay` with its seed and instance, under Fleet |\n\n")
		return
	}
	m.printf("| Replay in a test | `chaostest.ReplayFile(t, \"report.json\")` (seed `%d`, instance `%s`) |\n\n", r.Seed, r.Instance)
}

// extreme returns the judged steady-state probe result of a metric while
// or after the faults were on (stop conditions left out) with the lowest value, or the highest if highest is set;
// the first of equals.
func (r *Report) extreme(metric string, highest bool) (ProbeRecord, bool) {
	var best ProbeRecord
	found := false
	for _, p := range r.Probes {
		if p.Phase == PhaseBefore || p.Phase == PhaseStop || p.Result.Metric != metric || !p.Result.Judged() {
			continue
		}
		if !found || (highest && p.Result.Value > best.Result.Value) || (!highest && p.Result.Value < best.Result.Value) {
			best, found = p, true
		}
	}
	return best, found
}

func (r *Report) injectionsByPoint() string {
	if len(r.Injections) == 0 {
		return "none"
	}
	parts := make([]string, len(r.Injections))
	for i, pi := range r.Injections {
		parts[i] = fmt.Sprintf("`%s` %d", pi.Point, pi.Total)
	}
	return fmt.Sprintf("%d: %s", r.injected(), strings.Join(parts, ", "))
}

func (r *Report) recoveryText() string {
	switch {
	case !r.Recovered:
		return fmt.Sprintf("not back within the %v settle time", r.Settle)
	case r.Recovery == 0:
		return fmt.Sprintf("held at the first check after the faults went off (settle time %v)", r.Settle)
	default:
		return fmt.Sprintf("back %v after the faults went off (settle time %v)", r.Recovery.Round(time.Millisecond), r.Settle)
	}
}

func (r *Report) environmentText() string {
	var parts []string
	env := r.Environment
	if svc := strings.TrimSpace(env.Service + " " + env.ServiceVersion); svc != "" {
		parts = append(parts, "service "+svc)
	}
	if env.GoVersion != "" {
		parts = append(parts, env.GoVersion)
	}
	if env.Host != "" {
		parts = append(parts, "host "+env.Host)
	}
	if r.Instance != "" {
		parts = append(parts, "instance "+r.Instance)
	}
	if len(parts) == 0 {
		return "not recorded"
	}
	return strings.Join(parts, ", ")
}

// fmtRatio formats a ratio rounded down to four decimals, as the probes'
// own texts do, so that a ratio shown as at least a target is.
func fmtRatio(v float64) string { return strconv.FormatFloat(math.Floor(v*1e4+1e-9)/1e4, 'f', -1, 64) }

// fmtNanos formats a value in nanoseconds as a duration, to the
// microsecond above one.
func fmtNanos(v float64) time.Duration {
	d := time.Duration(v)
	if d > time.Microsecond {
		d = d.Round(time.Microsecond)
	}
	return d
}

// mdImpact writes the Impact section: the faults injected per point, the
// probes that failed, and the cohorts compared.
func (r *Report) mdImpact(m *markdown, during, after []string) {
	m.printf("## Impact\n\n")
	if total := r.injected(); total == 0 {
		m.printf("No fault was injected.\n\n")
	} else {
		plural := ""
		if len(r.Injections) != 1 {
			plural = "s"
		}
		m.printf("%d faults were injected at %d point%s.\n\n", total, len(r.Injections), plural)
		m.printf("| Point | Calls | Injected | By kind |\n|---|---:|---:|---|\n")
		for _, pi := range r.Injections {
			m.printf("| `%s` | %d | %d | %s |\n", pi.Point, pi.Calls, pi.Total, kindCounts(pi.ByKind))
		}
		m.printf("\n")
		var handled []string
		for _, pi := range r.Injections {
			if pi.Absorbed > 0 || pi.Escaped > 0 {
				injected := fmt.Sprintf("%d injected", pi.Total)
				if errs := pi.Total - pi.ByKind[faults.KindLatency] - pi.ByKind[faults.KindCorrupt]; errs != pi.Total {
					injected += fmt.Sprintf(" (%d of them errors)", errs)
				}
				handled = append(handled, fmt.Sprintf("- `%s`: %s, %d absorbed, %d escaped\n", pi.Point, injected, pi.Absorbed, pi.Escaped))
			}
		}
		if len(handled) > 0 {
			m.printf("What resilience code made of the injected errors:\n\n%s\n", strings.Join(handled, ""))
		}
	}
	if len(during) == 0 && len(after) == 0 {
		m.printf("No steady-state probe failed while or after the faults were on.\n\n")
	}
	if len(during) > 0 {
		m.printf("Probes that failed while the faults were on: %s.\n\n", codeList(during))
	}
	if len(after) > 0 {
		m.printf("Probes still failing after the faults were off: %s.\n\n", codeList(after))
	}
	if c := r.Cohort; c != nil && c.Experiment != nil && c.Control != nil {
		m.printf("Cohorts by `%s` (experiment share %v):\n\n", c.Label, c.Share)
		m.printf("| Cohort | Calls | Success ratio | p50 | p99 |\n|---|---:|---:|---:|---:|\n")
		m.printf("| experiment | %d | %.4f | %v | %v |\n", c.Experiment.Count, c.Experiment.SuccessRatio, c.Experiment.P50, c.Experiment.P99)
		m.printf("| control | %d | %.4f | %v | %v |\n\n", c.Control.Count, c.Control.SuccessRatio, c.Control.P50, c.Control.P99)
	}
}

// mdTimeline writes the Timeline section.
func (r *Report) mdTimeline(m *markdown) {
	m.printf("## Timeline\n\n")
	m.printf("Offsets from the start of the run.\n\n| At | Phase | Event |\n|---:|---|---|\n")
	for _, e := range r.Timeline {
		at, msg := e.At.Round(time.Millisecond).String(), e.Message
		if e.Count > 1 {
			at += "–" + e.Until.Round(time.Millisecond).String()
			msg = fmt.Sprintf("%s (%d times, the first shown)", msg, e.Count)
		}
		m.printf("| %s | %s | %s |\n", at, e.Phase, strings.ReplaceAll(msg, "|", `\|`))
	}
	m.printf("\n")
}

// mdDetection writes the Detection section: how soon a probe saw the
// faults, and when a stop condition switched them off.
func (r *Report) mdDetection(m *markdown) {
	m.printf("## Detection\n\n")
	firstFail, ok := r.firstFailure()
	switch {
	case r.Outcome == OutcomeFailed:
		m.printf("The steady state failed before any fault: the system was not healthy enough to experiment on.\n\n")
	case r.FirstInjection == 0 && r.injected() == 0:
		m.printf("Nothing was injected, so there was nothing to detect.\n\n")
	case !ok:
		m.printf("No probe detected the faults. Either the system absorbed them, or the probes do not watch the paths that failed.\n\n")
	default:
		m.printf("The first probe failure, %s, came %v after the first injection.\n\n", "`"+firstFail.Result.Probe+"`", (firstFail.At - r.FirstInjection).Round(time.Millisecond))
	}
	if r.Outcome == OutcomeAborted {
		m.printf("The stop condition `%s` tripped and the kill switch was thrown at %v.\n\n", r.StopReason, r.FaultsOff.Round(time.Millisecond))
	}
}

// injected returns the number of faults injected at every point.
func (r *Report) injected() uint64 {
	var total uint64
	for _, pi := range r.Injections {
		total += pi.Total
	}
	return total
}

// failedProbes returns the names of the probes that failed in the phases
// given, in the order of their first failure.
func (r *Report) failedProbes(phases ...Phase) []string {
	var names []string
	for _, p := range r.Probes {
		if !p.Result.OK && slices.Contains(phases, p.Phase) && !slices.Contains(names, p.Result.Probe) {
			names = append(names, p.Result.Probe)
		}
	}
	return names
}

// protectionItem names what a point of a run that broke the hypothesis
// lacks: the protection that its kinds of fault call for, and whether any
// resilience code saw its errors. Points whose errors were all absorbed
// get none.
func protectionItem(pi PointInjections) string {
	var want []string
	for k := faults.Kind(0); int(k) < faults.NumKinds; k++ {
		if pi.ByKind[k] == 0 {
			continue
		}
		var p string
		switch k {
		case faults.KindLatency, faults.KindHang:
			p = "a timeout"
		case faults.KindError, faults.KindStatus, faults.KindAbort, faults.KindBadConn:
			p = "retries with backoff behind a circuit breaker"
		case faults.KindPanic:
			p = "a recover that turns the panic into an error"
		case faults.KindCorrupt:
			p = "validation of the payload"
		}
		if p != "" && !slices.Contains(want, p) {
			want = append(want, p)
		}
	}
	protection := strings.Join(want, " and ")
	switch {
	case pi.Escaped > 0:
		return fmt.Sprintf("Protect `%s`: %d of its %d injected faults escaped the resilience code around it; give it %s that outlast them.", pi.Point, pi.Escaped, pi.Total, protection)
	default:
		return fmt.Sprintf("Protect `%s`: no resilience code absorbed any of its %d injected faults; add %s around it.", pi.Point, pi.Total, protection)
	}
}

func kindCounts(m map[faults.Kind]uint64) string {
	var parts []string
	for k := faults.Kind(0); int(k) < faults.NumKinds; k++ {
		if n := m[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%v %d", k, n))
		}
	}
	return strings.Join(parts, ", ")
}

func codeList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

// firstFailure returns the first probe failure while or after the faults.
func (r *Report) firstFailure() (ProbeRecord, bool) {
	for _, p := range r.Probes {
		if !p.Result.OK && duringOrAfter(p.Phase) {
			return p, true
		}
	}
	return ProbeRecord{}, false
}

// duringOrAfter reports whether a probe result counts against the
// hypothesis: checks before the faults, and while the system settled
// after them, do not.
func duringOrAfter(p Phase) bool { return p != PhaseBefore && p != PhaseRecovery }

func (r *Report) held(name string) bool {
	for _, p := range r.Probes {
		if p.Result.Probe == name && !p.Result.OK && duringOrAfter(p.Phase) {
			return false
		}
	}
	return true
}

func (r *Report) probeNames() []string {
	var names []string
	for _, p := range r.Probes {
		if !slices.Contains(names, p.Result.Probe) {
			names = append(names, p.Result.Probe)
		}
	}
	return names
}

func (r *Report) wentWell() []string {
	var s []string
	if r.Outcome == OutcomeFailed {
		return s
	}
	for _, n := range r.probeNames() {
		if r.held(n) {
			s = append(s, fmt.Sprintf("`%s` held throughout the faults.", n))
		}
	}
	if r.Outcome == OutcomeAborted {
		s = append(s, fmt.Sprintf("The stop condition `%s` worked: the faults were switched off within one probe interval (%v).", r.StopReason, r.Interval))
	}
	if len(r.RollbackErrors) == 0 && r.Outcome != OutcomeFailed {
		s = append(s, "Every rollback succeeded.")
	}
	return s
}

func (r *Report) wentWrong(during, after []string) []string {
	var s []string
	if r.Outcome == OutcomeFailed {
		for _, n := range r.failedProbes(PhaseBefore) {
			s = append(s, fmt.Sprintf("`%s` failed before any fault was injected.", n))
		}
	}
	for _, n := range during {
		s = append(s, fmt.Sprintf("`%s` failed while the faults were on.", n))
	}
	for _, n := range after {
		s = append(s, fmt.Sprintf("`%s` still failed %v after the faults were off: the system did not recover by itself within the settle time.", n, r.Settle))
	}
	for _, e := range r.RollbackErrors {
		s = append(s, "Rollback failed: "+e)
	}
	return s
}

func (r *Report) gotLucky(during []string) []string {
	var s []string
	if r.Outcome == OutcomeFailed {
		return s
	}
	if !r.Deviated && len(r.Injections) > 0 {
		var points []string
		for _, pi := range r.Injections {
			points = append(points, pi.Point)
		}
		s = append(s, fmt.Sprintf("Faults at %s did not move any probe: confirm the probes watch these paths before trusting the result.", codeList(points)))
	}
	if r.Outcome == OutcomeCompleted && len(r.failedProbes(PhaseStop)) == 0 && len(during) > 0 {
		s = append(s, "The steady state deviated but no stop condition tripped: in production the faults would have run their full course.")
	}
	for _, pi := range r.Injections {
		if pi.Truncated {
			s = append(s, fmt.Sprintf("More injections happened at `%s` than the report recorded.", pi.Point))
		}
	}
	return s
}

func (r *Report) actionItems(during, after []string) []string {
	var s []string
	for _, n := range during {
		if late := r.firstFailureOf(n) - r.FirstInjection; r.Interval > 0 && late > 2*r.Interval {
			s = append(s, fmt.Sprintf("Add an alert on `%s`: it failed only %v after the first injection.", n, late.Round(time.Millisecond)))
		}
	}
	for _, n := range after {
		s = append(s, fmt.Sprintf("Find out why `%s` did not recover once the faults were off, and add an alert on it.", n))
	}
	if r.Deviated {
		for _, pi := range r.Injections {
			if pi.Absorbed > 0 && pi.Escaped == 0 {
				continue // handled: resilience code absorbed what it saw
			}
			s = append(s, protectionItem(pi))
			s = append(s, fmt.Sprintf("Add a test that replays the %d faults at `%s` (seed %d) with `chaostest.Replay`, and make it pass.", pi.Total, pi.Point, r.Seed))
		}
	}
	if r.Outcome == OutcomeCompleted && len(r.failedProbes(PhaseStop)) == 0 && len(during) > 0 {
		s = append(s, "Add a stop condition that trips on this deviation.")
	}
	for _, e := range r.RollbackErrors {
		s = append(s, "Fix the rollback: "+e)
	}
	return s
}

// firstFailureOf returns the offset of a probe's first failure while or
// after the faults were on.
func (r *Report) firstFailureOf(name string) time.Duration {
	for _, p := range r.Probes {
		if p.Result.Probe == name && !p.Result.OK && duringOrAfter(p.Phase) {
			return p.At
		}
	}
	return 0
}
