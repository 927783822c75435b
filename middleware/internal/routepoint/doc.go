// Package routepoint holds what the HTTP framework adapters under
// middleware/ share: the sealed options and config of a server middleware
// (WithHeaderLabel, WithMaxPoints, WithExempt), the bounded registry that
// maps route keys to fault points, the method words points and labels are
// named with, the gathering of header labels, and the value of the
// injected-fault response header.
//
// It is internal: packages chaoshttp, chaosecho and chaosgin build their
// public API on it, each documenting its options in its own words.
//
// Point names come only from a bounded set: a route key (a pattern or a
// route path) with a method word, at most [Config.MaxPoints] keys per
// [Registry], and past that bound, or for a request that matched no route,
// one fallback point per method word ("GET (unmatched)").
package routepoint
