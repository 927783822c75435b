package chaosfx

import (
	"net/http"
	"slices"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// Middleware is server middleware that injects the faults of the module's
// engine into the handlers it wraps: chaoshttp.Middleware bound to the
// engine, with the Config's HTTPOptions. [Module] provides it; take it as a
// parameter and wrap handlers inside the mux, so that each request's point
// is named after its pattern:
//
//	fx.Invoke(func(mw chaosfx.Middleware, mux *http.ServeMux) {
//		mux.Handle("GET /users/{id}", mw(users))
//	})
//
// A Middleware is a func(http.Handler) http.Handler under its own name, so
// that fx can tell it apart; it can be passed as is to routers that take
// that shape (chi's Use, say). It is safe for concurrent use, and so are the
// handlers it returns.
type Middleware func(http.Handler) http.Handler

// Transport wraps an http.RoundTripper in a client transport that injects
// the faults of the module's engine before base sends each request:
// chaoshttp.Transport bound to the engine, with the Config's HTTPOptions
// followed by opts. A nil base means http.DefaultTransport. [Module]
// provides it; take it as a parameter where the application builds its
// clients, and name each client's points after the service it calls when
// its hosts or ports are not fixed:
//
//	func newPaymentsClient(tr chaosfx.Transport) *http.Client {
//		name := chaoshttp.WithPointName(func(*http.Request) string { return "http.client payments" })
//		return &http.Client{Transport: tr(nil, name), Timeout: 5 * time.Second}
//	}
//
// Each call makes a new transport, whose points are named after the hosts
// it calls by default (see chaoshttp.Transport) and bounded on their own.
// A Transport is safe for concurrent use, and so are the transports it
// returns, as base must be.
type Transport func(base http.RoundTripper, opts ...chaoshttp.Option) http.RoundTripper

func newMiddleware(e *chaos.Engine, p in) Middleware {
	return Middleware(chaoshttp.Middleware(e, p.Config.HTTPOptions...))
}

func newTransport(e *chaos.Engine, p in) Transport {
	common := p.Config.HTTPOptions
	return func(base http.RoundTripper, opts ...chaoshttp.Option) http.RoundTripper {
		if len(opts) > 0 {
			opts = append(slices.Clip(common), opts...)
		} else {
			opts = common
		}
		return chaoshttp.Transport(base, e, opts...)
	}
}
