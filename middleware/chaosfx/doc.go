// Package chaosfx wires faultline into an application built with
// go.uber.org/fx: one module provides the [*chaos.Engine], runs its plan
// sources with the application's lifecycle, and offers the HTTP middleware
// and transport for injection.
//
// Add [Module] to the application, and supply a [Config] if the defaults
// do not suit:
//
//	fx.New(
//		chaosfx.Module,
//		fx.Supply(chaosfx.Config{
//			Policy:  chaos.ProductionPolicy(),
//			Sources: []source.Source{source.Env()},
//		}),
//		fx.Invoke(func(mw chaosfx.Middleware, mux *http.ServeMux) {
//			mux.Handle("GET /quote", mw(quoteHandler))
//		}),
//	)
//
// The module provides:
//
//   - the [*chaos.Engine], built from the Config (seed, instance, policy,
//     logger);
//   - [Middleware], the server middleware of package chaoshttp bound to
//     that engine;
//   - [Transport], which wraps an http.RoundTripper in the client transport
//     of package chaoshttp;
//   - [*Sources], the state of the plan sources, for a health or admin
//     endpoint.
//
// When the application starts, each of the Config's sources runs in a
// goroutine of its own under a source.Runner, which applies the plans it
// yields through the engine's policy; when the application stops, they are
// cancelled and waited for, so no goroutine is left behind. A source that
// yields a bad plan, or one the policy refuses, does not stop the
// application: the runner logs it, counts it and keeps the last good plan,
// as it always does. Faults are a risk the service takes on purpose, never
// a reason for it not to start.
//
// Logs go to the Config's Logger, or else to the *slog.Logger the
// application provides, if it provides one; without either the module
// logs nothing.
//
// # Where it sits
//
// Imports in this module run one way: middleware/… builds on chaos/…,
// which builds on the engine, and nothing under chaos/ imports middleware.
// chaosfx wires the engine, its plan sources (chaos/source) and the HTTP
// middleware (middleware/chaoshttp) together, so it sits above all three,
// beside the middleware it provides. It is a package of its own so that
// importing the engine or the middleware does not pull in fx.
package chaosfx
