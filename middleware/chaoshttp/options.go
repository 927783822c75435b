package chaoshttp

import (
	"net/http"

	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// Option configures [Middleware] and [Transport]. Options are made only by
// the functions of this package; each says which side it applies to and
// what happens without it.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// sharedOption is an Option of the settings chaoshttp shares with the
// other HTTP adapters (see routepoint.Config).
type sharedOption struct{ o routepoint.Option }

func (s sharedOption) apply(c *config) { c.Apply(s.o) }

// config is what the options set.
type config struct {
	routepoint.Config // header labels, the bound of points, exempt paths
	name              func(*http.Request) string
	mux               *http.ServeMux
	recover           bool
}

func newConfig(opts []Option) config {
	c := config{Config: routepoint.NewConfig()}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithPointName names the fault point of each request with name instead of
// the default naming (see [Middleware] and [Transport]). It applies to both.
//
// Points are never removed from an engine, so name must return a small,
// bounded set of names: a route template, an operation or a service name,
// never a URL path, a query or an id. An empty name counts the request at
// the fallback point ("GET (unmatched)" at a server, "http.client (other)"
// at a client). Whatever name returns, at most [WithMaxPoints] distinct
// names are used. At a server it takes precedence over ServeMux patterns. name is called once per request, from many goroutines at
// once, so it must be safe for concurrent use. A nil name keeps the default.
func WithPointName(name func(*http.Request) string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// WithHeaderLabel copies the first value of the request header named
// header, when present, into the label called label, which a rule can match (label.tenant=acme in
// the plan text) or decide stickily on (sticky=tenant). It applies to both
// the server and the client, and may be given several times. Headers are
// read only while a rule names the request's point, so the option costs
// nothing while no plan is active. By default no header becomes a label;
// the request method is always the label [LabelMethod]. An empty header or
// label makes the option do nothing. A value longer than
// [chaos.MaxLabelValue] bytes is cut to its first MaxLabelValue bytes, for
// matching and sticky decisions alike, and copied, so that whatever keeps
// the label does not keep the whole header alive.
func WithHeaderLabel(header, label string) Option {
	return sharedOption{routepoint.WithHeaderLabel(header, label)}
}

// WithServeMux names server points from the patterns of mux, for a
// [Middleware] placed around a handler that ends in mux, such as
// Middleware(e)(logging(mux)). The middleware asks mux which pattern the
// request matches, without serving it, so a rule can target
// "GET /users/{id}" before the mux has routed the request. Middleware finds
// the mux by itself when it wraps a *http.ServeMux directly; by default it
// uses the request's own pattern (set when the middleware runs inside the
// mux). It does not apply to a Transport. A nil mux keeps the default.
func WithServeMux(mux *http.ServeMux) Option {
	return optionFunc(func(c *config) { c.mux = mux })
}

// WithRecoverPanics makes an injected panic at a server answer 500 Internal
// Server Error, with the [HeaderInjected] header, instead of panicking. By
// default an injected panic propagates, as a real one in the handler would
// (net/http recovers it, logs it and cuts the connection). Panics raised by
// the handler itself are never recovered by this package. It does not apply
// to a Transport, where a panic fault always propagates to the caller of
// RoundTrip.
func WithRecoverPanics() Option {
	return optionFunc(func(c *config) { c.recover = true })
}

// WithMaxPoints bounds at n the distinct route patterns, names (see
// [WithPointName]) or hosts that one Middleware or Transport makes points
// for. Requests beyond the bound are counted at the fallback point, so a
// stray source of names (a CONNECT redirect that reports a path, a client
// calling arbitrary hosts) cannot grow the engine without limit. Without
// the option, or with n == 0, the bound is 1024; a negative n removes it.
// A server pattern without a method makes up to one point per method, so a
// server's point count is bounded by ten times n, plus the ten fallback
// points.
func WithMaxPoints(n int) Option {
	return sharedOption{routepoint.WithMaxPoints(n)}
}

// WithExempt makes requests whose URL path is one of prefixes, or lies
// under one, never fault points at a server: the [Middleware] passes them
// to its handler untouched, counts them nowhere and makes no point for
// them, whatever plan is applied. "/ops/chaos/" (or "/ops/chaos") exempts
// "/ops/chaos", "/ops/chaos/" and every path under it, and "/" exempts
// every request. The path is that of the request as the middleware sees
// it, before any router strips a prefix, so WithExempt works under chi's
// Use, where the middleware runs before routing, as well as around or
// inside a ServeMux. Use it for the admin handler mounted elsewhere than
// [AdminPrefix], which is always exempt, and for health checks that must
// keep answering.
//
// It may be given several times. An empty prefix does nothing; one that
// does not start with "/" panics, as a mistake made when setting up the
// server. It does not apply to a Transport.
func WithExempt(prefixes ...string) Option {
	return sharedOption{routepoint.WithExempt("chaoshttp", prefixes...)}
}
