// Package gameday runs game days in code on a faultline engine: an
// [Experiment] checks a steady-state hypothesis with probes (package
// probes), switches a plan on, probes on an interval, stops at once when a
// stop condition trips, rolls back, and probes again. Its [Report] renders
// as versioned JSON ([Report.JSON], [ParseReport], [ReadReport]) and as a
// Markdown post-mortem draft ([Report.Markdown]), and replays as a unit
// test with chaostest.Replay.
//
//	x := &gameday.Experiment{
//		Title:       "checkout survives a slow database",
//		Hypothesis:  "checkout keeps a 99% success ratio while queries are slow",
//		Engine:      engine,
//		Plan:        chaos.MustParsePlan("db.query=20%delay(300ms)"),
//		SteadyState: []probes.Probe{window.SuccessRatioAtLeast("checkout ≥ 99%", 0.99, 50)},
//		StopWhen:    []probes.Probe{window.SuccessRatioAtLeast("checkout ≥ 90%", 0.9, 50)},
//		Duration:    5 * time.Minute,
//	}
//	rep, err := x.Run(ctx)
//
// # The engine's rules hold
//
// An experiment is one more applier of the engine, built on its public
// API only. Its plan goes through [chaos.Engine.Apply], so the engine's
// policy bounds it and a thrown kill switch refuses it. It applies and
// restores with [chaos.IfGeneration], so it never undoes what an operator
// or another applier did during the run. A stop condition, or the end of
// the run's context, throws the kill switch and leaves it thrown until a
// person re-arms the engine. The report's timeline says who changed the
// engine.
//
// # Cohorts
//
// With a [Cohort], the faults hit only a sticky share of keys (users,
// tenants), and the report compares the SLIs of the experiment and control
// cohorts; [chaos.Engine.InCohort] tells the two apart.
//
// # Fleets
//
// With a [Fleet], an experiment runs its plan on many instances of a
// service at once, each through its admin API (package admin): the plan
// goes on everywhere or nowhere, a share of instances ("instances=50%")
// arms only some of them, probes read every instance's counters and their
// sum ([Fleet.FiredAtMost], [Fleet.FaultRatioAtMost]), a stop condition
// throws the kill switch of every instance, and the report lists each
// instance with whether it took part ([FleetReport]).
//
// # Dependencies
//
// Probes check over HTTP and SQL, so this package brings net/http and
// database/sql into a binary, and the admin client brings package admin;
// package chaos does not, and a service that only marks fault points need
// not import gameday.
package gameday
