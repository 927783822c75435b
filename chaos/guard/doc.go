// Package guard keeps always-on chaos inside the service's error budget,
// whoever turned the faults on: a plan source, the admin handler, the
// monkey or a person. Game days (package gameday) have stop conditions of
// their own; this package gives every other applier one.
//
// A [Guard] checks probes (package probes: an in-process SLI window, HTTP,
// SQL or a function) every interval while the engine is armed, and throws
// the kill switch when one fails, with the probe and what it measured in
// the reason:
//
//	g := guard.New(engine, guard.WithProbe(window.SuccessRatioAtLeast("checkout ≥ 99%", 0.99, 50)))
//	go g.Run(ctx)
//
// A [Pacer] lowers the rate of every rule at once as the error budget burns,
// and raises it again as it recovers ([chaos.Engine.SetRateScale]), so that
// an always-on plan takes what the budget can spare and nothing once it
// cannot:
//
//	p := guard.NewPacer(engine, window, 0.99) // a 99% success SLO
//	go p.Run(ctx)
//
// Run both for a plan that is on all the time: the pacer keeps the burn
// under its target, and the guard stops everything should the service fail
// in a way the pacer cannot see (a dependency's probe, a latency SLI).
//
// # The engine's rules hold
//
// Both are built on the engine's public API, above it. The guard never
// re-arms the engine: once it has thrown the switch, faults stay off until
// a person calls [chaos.Engine.Rearm]. The pacer applies no plan and only
// ever scales rates down from the plan's, which the policy has bounded
// already; while the kill switch is thrown, or nothing is armed, it holds
// the scale at zero, so that whatever is applied next starts from nothing.
//
// # Defaults
//
// Both check every [DefaultInterval] (1s). The pacer steers toward a burn
// of [DefaultTargetBurn] (half the budget), cuts to zero at
// [DefaultStopBurn] (80% of it), grows at most [Growth] times per interval,
// and judges a window of at least [DefaultMinSamples] calls. Zero option
// values mean these defaults, and negative ones turn a setting off where it
// can be off.
//
// This package imports only the standard library and faultline's own
// packages.
package guard
