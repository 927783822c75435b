package chaosgin

import "github.com/faultline-go/faultline/middleware/internal/routepoint"

// Option configures [Middleware]. Options are made only by the functions
// of this package; each says what happens without it.
type Option = routepoint.Option

// WithHeaderLabel copies the first value of the request header named
// header, when present, into the label called label, which a rule can
// match (label.tenant=acme in the plan text) or decide stickily on
// (sticky=tenant). It may be given several times. Headers are read only
// while a rule names the request's point. By default no header becomes a
// label; the request method is always the label "method", as in package
// chaoshttp. An empty header or label makes the option do nothing. A
// value longer than [chaos.MaxLabelValue] bytes is cut to its first
// MaxLabelValue bytes.
func WithHeaderLabel(header, label string) Option { return routepoint.WithHeaderLabel(header, label) }

// WithMaxPoints bounds at n the distinct route paths one Middleware makes
// points for; requests of routes beyond the bound are counted at
// "METHOD (unmatched)". Without the option, or with n == 0, the bound is
// 1024; a negative n removes it. Each path makes up to one point per
// method word, so the points are bounded by ten times n, plus the ten
// fallback points.
func WithMaxPoints(n int) Option { return routepoint.WithMaxPoints(n) }

// WithExempt makes requests whose URL path is one of prefixes, or lies
// under one, never fault points: the middleware passes them on untouched
// and makes no point for them, whatever plan is applied. "/ops/chaos/" (or
// "/ops/chaos") exempts "/ops/chaos" and every path under it, and "/"
// exempts every request. The admin prefix of package chaoshttp,
// "/debug/faultline/" ([chaoshttp.AdminPrefix]), is always exempt; use
// WithExempt for an admin handler mounted elsewhere and for health checks
// that must keep answering.
//
// It may be given several times. An empty prefix does nothing; one that
// does not start with "/" panics, as a mistake made when setting up the
// server.
func WithExempt(prefixes ...string) Option { return routepoint.WithExempt("chaosgin", prefixes...) }
