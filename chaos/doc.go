// Package chaos is faultline's engine: fault points, the plans that arm
// them, deterministic decisions, the safety policy and the kill switch.
// Game days (package gameday), plan sources, the admin handler, the monkey
// and the framework adapters are built on its public API, above it.
//
// # Points
//
// A [Point] marks a place in a service's own code where a fault may be
// injected. Get it once from an [Engine] and keep it:
//
//	var charge = engine.Point("payments.charge")
//
//	func Charge(ctx context.Context, order Order) error {
//		if err := charge.Inject(ctx); err != nil {
//			return err // errors.Is(err, faults.ErrInjected)
//		}
//		…
//	}
//
// While no rule names a point, Inject is one atomic load and a nil check: no
// lock, no allocation, no shared write. [Point.Decide] returns the fault
// without applying it, for middleware that applies transport faults (an
// HTTP status, a cut connection) itself. Labels travel in the context
// ([WithLabels]) and rules can match them.
//
// # Plans
//
// A [Plan] is a list of [Rule] values: which points (an exact name or a
// glob), which fault (see package faults), and when it fires: a rate, a cap
// (Times), After, Every, a TTL or Until, labels, a sticky label, and a share
// of instances. [ParsePlan] reads a plan as JSON (a document that starts
// with '{') or as one line of text:
//
//	payments.charge=10%delay(200ms);db.query=3*error(timeout)[after=2]
//
// [Engine.Apply] validates a plan in whole and swaps it in atomically. A
// bad plan changes nothing, and its [*PlanError] names every problem with
// its place: "rules[2].rate: 1.5 is outside [0,1]".
//
// # Decisions
//
// Whether the n-th call at a point fires is a pure function of the engine's
// seed, the point, n and the rule; a sticky rule decides on the seed and a
// label's value instead. There is no lock. An engine made with [WithSeed]
// is deterministic: each point counts its calls on one sequence, so with
// the same seed and plan each point sees the same faults whatever other
// points and goroutines do, and a run replays call for call. Without it,
// [New] draws a seed ([Engine.Seed] reports it) and points count on
// striped sequences that scale with cores, so a replay reproduces each
// point's share of faults rather than which calls got them; see
// [WithDeterministic].
//
// # Safety
//
// A [Policy] ([WithPolicy]) bounds every plan the engine applies: the kinds
// that may fire, the highest rate and latency, the points, time windows,
// the number of rules, and a dry-run mode that decides and reports without
// injecting. [Engine.Disable] is the kill switch; see the safety model
// below.
//
// # Safety model
//
// Who can turn faults on: whoever can call [Engine.Apply] in the process,
// which is the service's own code and what it wires to the engine (a plan
// source, the admin handler behind its authentication, a monkey, an
// experiment). Nothing listens on the network unless the service mounts the
// admin handler. Every plan, whatever its source, is bounded by the
// engine's [Policy]; a production engine sets one ([ProductionPolicy]).
//
// What the kill switch guarantees. [Engine.Disable] is one atomic store,
// taken under a lock that nothing else holds for more than a few
// instructions, so it never waits for an Apply, a Stats read or an
// observer. When it returns:
//
//   - no call fires a fault, and every latency or hang fault that is
//     waiting returns at once, with nil (the call goes on as if no fault
//     had fired);
//   - an observer that blocks no longer holds the call it was told of;
//   - every Apply and Restore, from a person or from an automated source,
//     fails with [ErrDisabled] and changes nothing, until a person calls
//     [Engine.Rearm], which records who did and applies no plan itself;
//   - [Engine.Disabled] and [Engine.Active] say so, with the reason.
//
// Appliers that put back what they replaced (experiments, the monkey)
// apply and restore with [IfGeneration], a compare-and-swap on the engine's
// generation, so they never undo a change made by anyone else in between,
// the kill switch included.
//
// Who can fault one request: whoever holds a key the engine verifies
// directives with ([WithDirectiveKeys]), and only where the engine's policy
// allows request-scoped faults ([RequestPolicy].Allow, off by default). A
// directive ([Directive]) is signed with HMAC-SHA256, expires, is bounded
// by the engine's policy like a plan, is accepted a bounded number of times,
// and is forwarded unchanged by faultline's clients, so no hop can widen it.
// One that does not verify applies nothing and never fails the request
// ([Engine.AcceptDirective]). The kill switch stops directive faults too.
//
// What bounds the cost whatever the plan: a plan holds at most
// [MaxPlanRules] rules and its documents at most [MaxPlanSize] bytes; a rule
// at rate 0 arms nothing; globs are compiled once per plan; an Apply is
// compiled before any lock is taken and never blocks calls at the points.
// A hang fault always has a bound (its own, the policy's MaxLatency, or
// faults.DefaultHangLimit). [Policy].MaxRate bounds the chance that a call
// gets any fault, summed over every rule that names its point. Label
// values are cut at [MaxLabelValue] bytes wherever the engine keeps them.
//
// What a service must do: mount the admin handler (package admin) behind
// its authentication and outside any fault point (package chaoshttp never
// injects on admin routes); set server timeouts (ReadHeaderTimeout,
// ReadTimeout, WriteTimeout, IdleTimeout) on any http.Server that carries
// fault points, since a latency fault holds a request for its delay; and
// keep observers fast and non-blocking.
//
// # One request, end to end
//
// A [Directive] carries rules for one request across services, in its W3C
// baggage: a test user's checkout is slow at the payment call three services
// down, and nobody else's is. Services whose policy allows it accept the
// directive ([Engine.AcceptDirective]; the middleware of packages chaoshttp
// and chaosgrpc do it for each request) and apply its rules, before their
// plan's, to the calls made with that request's context; every hop forwards
// it unchanged. Each fault it fires names it ([Event].Directive).
//
// # Watching
//
// [Engine.Stats] counts evaluations and fires per point and per rule, and
// an [Observer] ([Engine.AddObserver]) hears of each fault as it fires,
// with the call's context; packages chaosotel and admin are built on it.
//
// This package imports only the standard library and faultline's own
// faults and internal packages.
package chaos
