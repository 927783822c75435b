// Package chaoshttp injects faults into net/http servers and clients with
// the fault points of a [chaos.Engine].
//
// [Middleware] wraps handlers, in the shape chi and otelhttp use, and names
// each request's point after the [http.ServeMux] pattern it matches, such
// as "GET /users/{id}". [Transport] wraps an [http.RoundTripper] and names
// each request's point after its host, such as
// "http.client api.example.com". Neither does anything until a plan names
// their points; then they inject latency, hangs, errors, HTTP statuses,
// aborted connections, panics and corrupted bodies:
//
//	e := chaos.New()
//	mux := http.NewServeMux()
//	mux.Handle("GET /users/{id}", chaoshttp.Middleware(e)(users))
//	client := &http.Client{Transport: chaoshttp.Transport(nil, e)}
//
//	// later, from a test, a file or an admin endpoint:
//	e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=5%status(503);"http.client api.example.com"=delay(2s)`))
//
// Responses a fault touched carry the [HeaderInjected] header. Rules can
// match the request method ([LabelMethod]) and request headers copied into
// labels with [WithHeaderLabel], and decide stickily on them, so that one
// tenant sees every fault and another none.
//
// With no rule naming its point, a request costs a handful of nanoseconds
// and no allocation in either direction: one atomic load and a string
// comparison to find the point, one atomic load to see that it is unarmed.
package chaoshttp
