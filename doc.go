// Package faultline is an embeddable chaos-engineering SDK for Go.
//
// Services mark fault points in their own code, around HTTP handlers and
// outbound calls, database/sql calls and goroutines. A point costs about
// one atomic load until a plan switches a fault on for it: latency, an
// error, a panic, or a transport fault (an HTTP status, an aborted
// connection, driver.ErrBadConn). Decisions are a pure function of a seed,
// so a unit test replays a fault sequence exactly, and production fires
// faults on a bounded share of calls under a local policy with a kill
// switch.
//
// This package holds documentation only. Start with package chaos:
//
//	engine := chaos.New(chaos.WithSeed(42))
//	charge := engine.Point("payments.charge")
//
//	plan, _ := chaos.ParsePlan("payments.charge=10%delay(200ms);db.query=3*error(timeout)")
//	engine.Apply(plan)
//
//	if err := charge.Inject(ctx); err != nil {
//		return err // errors.Is(err, faults.ErrInjected)
//	}
//
// The packages:
//
//   - faults: the fault values (latency, error, panic, hang, HTTP status,
//     abort, bad connection, corrupt payload) and the ErrInjected sentinel.
//   - chaos: the engine, points, plans and their text and JSON forms,
//     policy, kill switch, observers, experiments and reports.
//   - chaos/chaostest: seeded engines and scoped plans for go test, and
//     replay of a recorded game day.
//   - middleware/chaoshttp, middleware/chaossql, middleware/chaosgo: fault
//     points for net/http, database/sql and goroutines.
//   - middleware/resilience: retry, circuit breaker, timeout, bulkhead and
//     fallback, to survive the faults.
//   - probes: steady-state checks and in-process SLI windows.
package faultline
