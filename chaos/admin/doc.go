// Package admin serves an HTTP API and a browser page to watch and steer a
// running [chaos.Engine]: read the active plan, its source and the counters
// of every point, see the faults that fired lately, replace the plan, and
// throw the kill switch.
//
// Mount the handler in a service, usually under a prefix:
//
//	h := admin.New(engine, admin.WithToken(os.Getenv("FAULTLINE_ADMIN_TOKEN")))
//	defer h.Close()
//	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
//
// Every link and form on the page is relative, so the page works under any
// prefix as long as it is reached with a trailing slash (ServeMux redirects
// "/debug/faultline" to "/debug/faultline/" by itself).
//
// # Off unless given a token
//
// Without [WithToken], or with an empty token, the handler answers every
// request with 404 Not Found, as if it were not mounted: a service that
// forgets to configure it does not advertise it. With a token, a request is
// let in when it carries
//
//   - the header "Authorization: Bearer TOKEN" (scripts, curl), or
//   - the session cookie the login form sets (browsers, see below).
//
// Anything else gets 401 Unauthorized with a WWW-Authenticate header; the
// root page answers 401 with the login form. Tokens are compared in
// constant time, through their SHA-256 sums so that the comparison does not
// reveal the length either. Use a long random token (32 bytes or more):
// nothing else slows down guessing.
//
// # Browsers
//
// The page never takes the token from the URL, where it would end up in
// history and access logs. Its login form posts the token to "login", which
// sets a session cookie, "faultline_admin", and redirects to the page. The
// cookie is HttpOnly, SameSite=Strict, Secure when the request came over
// TLS, scoped by the browser to the directory the handler is mounted at, and
// valid for 8 hours. It holds no token: it is an expiry and a random nonce
// signed with HMAC-SHA256 under a key drawn when the handler is made, so
// sessions end when the process restarts, and each instance of a fleet has
// its own.
//
// A request that changes something (POST or PUT) and is let in by the
// cookie must also carry the session's CSRF token, as the form field "csrf"
// or the header "X-CSRF-Token"; the page puts it in its forms. Every POST
// and PUT, however authenticated, must also pass
// [http.CrossOriginProtection]: a browser request from another origin is
// refused with 403 Forbidden. The page sends no JavaScript, and its
// Content-Security-Policy forbids scripts and framing.
//
// # JSON API
//
// The paths are relative to where the handler is mounted. GET and HEAD
// never change anything.
//
//	GET  api/plan    the active plan: {"plan", "source", "applied", "clamped", "disabled", "text"}
//	PUT  api/plan    replace the plan (source "admin"); answers like GET
//	POST api/kill    the kill switch (chaos.Engine.Disable); answers like GET
//	GET  api/stats   the counters of every point and rule (chaos.Stats)
//	GET  api/events  recent faults: {"events": [...], "last": ID}; ?after=ID gives only newer ones
//	GET  api/status  {"status": "armed"|"disabled", "instance", "seed", "source", "counters", "runner"}
//
// PUT api/plan reads the body by its Content-Type: application/json (or any
// +json type) as [chaos.ParsePlanJSON], text/plain as [chaos.ParsePlan], and
// no Content-Type as [chaos.DecodePlan], which tells the two apart. Bodies
// are limited to 1 MiB unless [WithMaxBody] says otherwise. Errors are JSON
// objects {"error": "...", "problems": [{"path": "rules[2].rate", "message":
// "..."}]}, with these statuses:
//
//	400  the body is not a plan document (malformed JSON, bad form)
//	401  no valid token or session
//	403  CSRF token missing or wrong, or a cross-origin browser request
//	404  unknown path, or no token configured
//	405  method not allowed (the Allow header lists the right ones)
//	413  body larger than the limit
//	415  Content-Type neither JSON nor text
//	422  the plan has problems (its grammar, its values, or the engine's
//	     policy refused it); "problems" lists each with its field path, and
//	     the active plan is unchanged
//
// Every change (plan applied or rejected, kill switch, login, logout) is
// logged to the logger of [WithLogger] and counted (see [Handler.Counters]).
//
// # Events
//
// The handler records the faults that fire in a ring buffer of the last 256
// (see [WithEvents]), through an observer it adds to the engine. Recording
// an event is lock-free: one atomic add and one atomic store. Call
// [Handler.Close] when the handler is no longer served, to remove the
// observer.
package admin
