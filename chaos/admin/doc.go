// Package admin serves an HTTP API and a browser page to watch and steer a
// running [chaos.Engine]: read the active plan, its source and the counters
// of every point, see the faults that fired lately, replace the plan, throw
// the kill switch, and re-arm.
//
// Mount the handler in a service, usually under a prefix, on the same
// [http.ServeMux] as the service's own routes but beside them, not behind
// the fault-injecting middleware:
//
//	h := admin.New(engine, admin.WithToken(os.Getenv("FAULTLINE_ADMIN_TOKEN")))
//	defer h.Close()
//	mux := http.NewServeMux()
//	mux.Handle("/", chaoshttp.Middleware(engine)(app))
//	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
//	http.ListenAndServe(addr, mux)
//
// The admin routes are never fault points, so no plan (not even "*=abort"
// or "*=status(503)") can cut off the kill switch that ends it: even when
// the middleware wraps the whole mux (chaoshttp.Middleware(engine)(mux)) or
// runs under chi's r.Use, it leaves every request under
// chaoshttp.AdminPrefix ("/debug/faultline/") alone. Mounted under another
// prefix, pass that prefix to the middleware with chaoshttp.WithExempt.
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
// the login throttle (below) slows down guessing from one address, not
// from many.
//
// # Browsers
//
// The page never takes the token from the URL, where it would end up in
// history and access logs. Its login form posts the token to "login", which
// sets a session cookie, "faultline_admin", and redirects to the page. The
// cookie is HttpOnly, SameSite=Strict, Secure when the client reached the
// handler over TLS (see [WithTrustedProxies] for a proxy that terminates
// TLS), scoped by the browser to the directory the handler is mounted at,
// and valid for 8 hours. It holds no token: it is an expiry and a random
// nonce signed with HMAC-SHA256 under a key drawn when the handler is made,
// and the handler keeps the nonces of the live sessions (the 1024 newest).
// The page's "Log out" button ends the session on the server, so that the
// cookie, or a copy of it taken before, no longer lets anyone in. Sessions
// also end when the process restarts, and each instance of a fleet has its
// own.
//
// A request that changes something (POST or PUT) and is let in by the
// cookie must also carry the session's CSRF token, as the form field "csrf"
// or the header "X-CSRF-Token"; the page puts it in its forms. Every POST
// and PUT, however authenticated, must also pass
// [http.CrossOriginProtection]: a browser request from another origin is
// refused with 403 Forbidden. The page sends no JavaScript, and its
// Content-Security-Policy forbids scripts and framing.
//
// The page shows the kill switch (thrown or not, when, and the reason,
// which names who threw it), who re-armed it last and when, and the
// engine's generation (see [chaos.Active]), all from one read of the
// engine. While the kill switch is thrown it offers a "Re-arm" button.
// It lists at most 100 points at a time: a form filters them by a part of
// their name (?q=), and links page through them (?page=2).
//
// # Login throttle and proxies
//
// A client address that sends wrong tokens, at the login form or in an
// Authorization header, 5 times in a row must then wait 1 second before it
// may try again, and twice as long after each further failure, up to 15
// minutes; [WithLoginThrottle] sets the number. While it must wait, its
// attempts answer 429 Too Many Requests with Retry-After, without the token
// being checked. The handler remembers at most 10,000 addresses (IPv6 ones
// by their /64 prefix), forgetting the least recently seen. Refused
// requests are logged at most once a minute per address, each line
// counting the refusals not logged before it.
//
// The client address is the connection's peer. Behind a reverse proxy,
// name the proxy with [WithTrustedProxies]: then, for requests from it
// only, the client is taken from X-Forwarded-For, and X-Forwarded-Proto:
// https makes the session cookie Secure. From anyone else, both headers
// are ignored.
//
// # JSON API
//
// The paths are relative to where the handler is mounted. GET and HEAD
// never change anything. [Client] calls them from Go; the faultline
// command (cmd/faultline) from a terminal.
//
//	GET  api/plan    the engine's state: [chaos.Active] and the plan's "text" ([PlanState])
//	PUT  api/plan    replace the plan (source "admin"); answers like GET
//	POST api/kill    throw the kill switch: chaos.Engine.Disable("admin: CLIENT"), or with ?reason=WHY
//	                 "admin: CLIENT: WHY" (WHY cut at chaos.MaxLabelValue bytes); answers like GET
//	POST api/rearm   re-arm: chaos.Engine.Rearm("admin: CLIENT"), which applies no plan; answers like GET
//	GET  api/stats   the counters of the points and of every rule (chaos.Stats), a page at a time:
//	                 {"points", "rules", "total", "page", "limit"}; ?q=NAME keeps the points whose
//	                 name contains NAME, ?page=N (from 1) and ?limit=N (at most 1000, the default) page;
//	                 a rule that named no evaluated point has "unused": true
//	GET  api/events  recent faults: {"events": [...], "last": ID}; ?after=ID gives only newer ones;
//	                 a fault a request's directive fired has its id as "directive"
//	GET  api/status  {"status": "armed"|"disabled", "armed", "instance", "seed", "source", "generation",
//	                 the kill switch's fields as in chaos.KillSwitch ("disabled", "disabled_reason",
//	                 "disabled_at", "rearmed_by", "rearmed_at", each left out when unset),
//	                 "counters", "unused_rules": [{"rule": INDEX, "point": PATTERN}], "runner",
//	                 "directives": {"accepted", "refused": {REASON: N}} once a request brought one} ([Status])
//
// CLIENT is the client address (see above). "armed" is [chaos.Engine.Armed]:
// whether a rule may fire on this instance, false with no plan, with the
// kill switch thrown, or when the rules' share of instances
// ("instances=" in a plan) leaves this instance out; a fleet run reads it
// to tell which instances take part. "unused_rules" lists, in plan
// order and as [] when there are none, the rules of the active plan that
// have named no point that was evaluated for longer than the engine's
// [chaos.WithUnusedRuleAfter] (a minute by default), as
// [chaos.RuleStats].Unused marks them: most often a typo in a point name,
// or a route the service never serves. The page marks them "unused" in its
// table of rules, under a warning that counts them.
//
// PUT api/plan reads the body with [chaos.ParsePlan], which reads both
// forms of a plan: JSON (a document that starts with '{') and the one-line
// text form. The Content-Type says which to expect: application/json (or
// any +json type) must hold JSON, and a body that is not JSON at all is
// refused with 400; text/plain, and no Content-Type, leave it to
// chaos.ParsePlan to tell the two apart. Any other type, such as the
// application/x-www-form-urlencoded that curl's --data sends, is refused
// with 415, whose message names the header to send:
//
//	curl -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' \
//		--data-binary 'db.query=5%error(timeout)' https://svc.example/debug/faultline/api/plan
//
// # Compare and swap
//
// GET api/plan and api/status, and every answer shaped like GET api/plan,
// send the engine's generation as their ETag, in quotes: ETag: "42". A PUT
// api/plan with If-Match: "42" applies the plan only if the engine is
// still at generation 42, with [chaos.IfGeneration], and otherwise answers
// 412 Precondition Failed, changing nothing: an applier on another machine
// thus never overwrites a change made since it read the engine (the kill
// switch and a re-arm included), as an experiment in the process does not.
// If-Match: * (or none) applies whatever the generation; anything but one
// quoted generation is refused with 400. [Client.ApplyIf] sends it.
//
// Bodies are limited to 1 MiB unless [WithMaxBody] says otherwise. Errors
// are JSON objects {"error": "...", "code": "...", "problems": [{"path":
// "rules[2].rate", "message": "..."}]}, where "code", when present, names
// the kind of refusal ("invalid_plan", "refused", "disabled", "conflict";
// [APIError] matches the sentinels of package chaos by it), with these
// statuses:
//
//	400  the body is not a plan document (malformed JSON, bad form), a
//	     query parameter is out of range, or If-Match is not one generation
//	401  no valid token or session
//	403  CSRF token missing or wrong, or a cross-origin browser request
//	404  unknown path, or no token configured
//	405  method not allowed (the Allow header lists the right ones)
//	409  the kill switch is thrown: re-arm first, then apply the plan
//	     ("code": "disabled")
//	412  If-Match named a generation the engine is no longer at; the ETag
//	     header has the current one ("code": "conflict")
//	413  body larger than the limit
//	415  Content-Type neither JSON nor text (the message names the header)
//	422  the plan has problems (its grammar, its values: "code":
//	     "invalid_plan"; or the engine's policy refused it: "refused");
//	     "problems" lists each with its field path, and the active plan is
//	     unchanged
//	429  too many wrong tokens from the client address; Retry-After says
//	     how many seconds to wait
//
// Every change (plan applied or rejected, kill switch, re-arm, login,
// logout) is logged to the logger of [WithLogger] and counted (see
// [Handler.Counters]).
//
// # Events
//
// The handler records the faults that fire in a ring buffer of the last 256
// (see [WithEvents]), through an observer it adds to the engine. Recording
// an event is lock-free: one atomic add and one atomic store. Call
// [Handler.Close] when the handler is no longer served, to remove the
// observer.
package admin
