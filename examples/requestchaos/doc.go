// Command requestchaos follows one request through three services and
// slows it down at the last one, and only it, with a signed directive in
// its baggage:
//
//	go run ./examples/requestchaos
//
// The services run in this one process, each on its own loopback listener
// and with its own engine, as they would in three:
//
//	client ─HTTP→ gateway ─HTTP→ orders ─gRPC→ payments
//
// The gateway and orders serve HTTP behind chaoshttp.Middleware; the
// gateway calls orders through chaoshttp.Transport, and orders calls
// payments through the chaosgrpc client interceptors. Payments is a gRPC
// server (a hand-written service description and a JSON codec, so no
// generated code) behind the chaosgrpc server interceptors, and its
// handler evaluates the point "payments.charge" with the call's context.
//
// Every engine runs chaos.ProductionPolicy with request-scoped faults
// allowed (chaos.RequestPolicy: rules of a directive may fire on every
// request that carries it, directives live at most a minute, and only the
// issuer "requestchaos" is accepted), and holds one shared
// chaos.DirectiveKey: a fresh one, or the one in $FAULTLINE_DIRECTIVE_KEY
// ("ID:SECRET", as chaos.ParseDirectiveKey reads it). No engine has a plan.
//
// The command mints the directive "checkout-demo", whose one rule is
// payments.charge=delay(300ms), and sends three checkouts to the gateway:
// one with the header "baggage: faultline=TOKEN", one without, and one
// with a directive signed with another secret under the same key id. Each
// hop accepts the token into the request's context and its client
// forwards it unchanged, so the first checkout waits 300ms at payments and
// the others do not; the forged one is refused by every hop, counted as
// "bad_signature", and applies nothing. It prints each checkout's latency
// and body, the faults that payments' admin API (GET
// /debug/faultline/api/events) reports with the directive that fired them,
// and each engine's directive counts, and exits with status 1 if any of
// that is not as described.
package main
