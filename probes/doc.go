// Package probes checks the steady state of a system during a game day.
//
// A [Probe] is a named check with a tolerance. Each call to [Probe.Check]
// returns a [Result]: plain data (strings, a bool and a duration) that an
// experiment runner can put in a report and serialize as JSON. Checks do not
// return Go errors, and they recover panics in the functions they call: a
// check that fails or cannot be made is a Result with OK false and the reason
// in Err.
//
// Probes come in two kinds:
//
//   - Active probes make a call when checked: [Func] runs a function,
//     [HTTP] sends a request, [SQL] runs a query. Options such as
//     [WithMaxLatency], [WithTimeout] and [WithStatus] set the tolerance.
//   - Passive probes read an in-process SLI [SampleWindow]: a fixed ring of the
//     most recent outcomes and latencies that the request path feeds with
//     [SampleWindow.Record] or [SampleWindow.Observe]. [SampleWindow.SuccessRatioAtLeast] and
//     [SampleWindow.LatencyAtMost] turn a window into a probe.
//
// Every numeric option follows one rule: zero means the default, and a
// negative value turns the setting off ([WithTimeout], [WithMaxLatency],
// [WithMaxAge]).
//
// All durations come from the time package, so under testing/synctest the
// Results are the same on every run.
//
// This package imports only the standard library.
package probes
