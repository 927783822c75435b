package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/faultline-go/faultline/chaos"
)

// DefaultMaxBody is the largest request body the handler reads unless
// [WithMaxBody] sets another limit: 1 MiB.
const DefaultMaxBody = 1 << 20

// DefaultEvents is how many recent events the handler keeps unless
// [WithEvents] sets another number.
const DefaultEvents = 256

// sourceName is the source recorded for plans applied through the handler.
const sourceName = "admin"

// Option configures a [Handler] made by [New].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	token    string
	log      *slog.Logger
	maxBody  int64
	events   int
	status   func() any
	proxies  []netip.Prefix
	failures int
}

// WithToken sets the bearer token that lets requests in. Without it, or
// with an empty token, the handler answers every request with 404 Not
// Found. Use a long random token; see the package documentation for how
// browsers log in.
func WithToken(token string) Option {
	return optionFunc(func(c *config) { c.token = token })
}

// WithLogger sets the logger that records every change made through the
// handler (plans applied at Info; plans rejected, the kill switch and
// re-arming at Warn) and refused requests (wrong tokens, throttled logins,
// CSRF and cross-origin refusals, at Warn, at most one line a minute per
// client address, which counts the refusals it did not log). Without it,
// or with nil, the handler logs nothing.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.log = l })
}

// WithMaxBody sets the largest request body, in bytes, the handler reads;
// a larger one is refused with 413. The default, and what 0 means, is
// [DefaultMaxBody]; n < 0 turns the limit off, for a handler behind a
// proxy that bounds bodies itself.
func WithMaxBody(n int64) Option {
	return optionFunc(func(c *config) {
		if n != 0 {
			c.maxBody = max(n, -1)
		}
	})
}

// WithEvents sets how many recent events the handler keeps for api/events
// and the page. The default, and what 0 means, is [DefaultEvents]; n < 0
// turns the record off: the handler keeps no events and adds no observer
// to the engine.
func WithEvents(n int) Option {
	return optionFunc(func(c *config) {
		if n != 0 {
			c.events = max(n, -1)
		}
	})
}

// WithSourceStatus sets a function whose result, encoded as JSON, shows
// the state of whatever feeds the engine plans (a source runner, a
// monkey): api/status returns it as "runner" and the page shows it.
// It is called on each such request, concurrently, so it must be safe for
// concurrent use. Without it, nothing is shown.
func WithSourceStatus(f func() any) Option {
	return optionFunc(func(c *config) { c.status = f })
}

// WithTrustedProxies names the reverse proxies in front of the handler, by
// address ("10.0.0.7", "fd00::1") or CIDR prefix ("10.0.0.0/8"). For a
// request whose peer is one of them, the handler believes two headers:
//
//   - X-Forwarded-Proto: "https" there makes the session cookie Secure, for
//     a proxy that terminates TLS;
//   - X-Forwarded-For: the client address, which the login throttle counts
//     failures by and the log and the kill switch's reason name, is the
//     rightmost address in it that is not a trusted proxy.
//
// Without it the handler trusts no proxy and never reads either header:
// the client is the connection's peer, and the cookie is Secure only on a
// TLS connection. It may be given several times. It panics on an entry
// that is neither an address nor a prefix, so that a typo fails at start
// up rather than silently trusting nothing (or too much).
func WithTrustedProxies(cidrs ...string) Option {
	prefixes := make([]netip.Prefix, 0, len(cidrs))
	for _, s := range cidrs {
		p, err := parseProxy(s)
		if err != nil {
			panic(fmt.Sprintf("admin: WithTrustedProxies(%q): %v", s, err))
		}
		prefixes = append(prefixes, p)
	}
	return optionFunc(func(c *config) { c.proxies = append(c.proxies, prefixes...) })
}

// WithLoginThrottle sets how many failed attempts in a row (a wrong token
// at the login form or in an Authorization header) one client address may
// make before it must wait: after the n-th failure it waits 1 second
// before its next attempt, and each further failure doubles the wait, up
// to 15 minutes. An attempt made while it must wait answers 429 Too Many
// Requests with a Retry-After header, without the token being checked. A
// success, or an hour without failure, forgets the address's failures.
// Session cookies are not throttled. Client addresses are those of
// [WithTrustedProxies]; IPv6 addresses count by their /64 prefix. The
// handler remembers at most 10,000 addresses, forgetting the least recently
// seen when it needs room. The default, and what 0 means, is
// [DefaultLoginFailures]; n < 0 turns the throttle off.
func WithLoginThrottle(n int) Option {
	return optionFunc(func(c *config) {
		if n != 0 {
			c.failures = max(n, -1)
		}
	})
}

// Counters counts what happened through a [Handler] since it was made.
type Counters struct {
	// Applied counts plans applied.
	Applied uint64 `json:"applied"`
	// Rejected counts plans refused, as malformed, invalid or out of the
	// engine's policy.
	Rejected uint64 `json:"rejected"`
	// Kills counts uses of the kill switch.
	Kills uint64 `json:"kills"`
	// Rearms counts uses of the re-arm action.
	Rearms uint64 `json:"rearms"`
	// Logins counts browser logins.
	Logins uint64 `json:"logins"`
	// Denied counts requests refused for want of a valid token, session or
	// CSRF token, or as cross-origin.
	Denied uint64 `json:"denied"`
	// Throttled counts attempts refused by the login throttle (see
	// [WithLoginThrottle]).
	Throttled uint64 `json:"throttled"`
	// Events counts the events recorded, including those since pushed out
	// of the buffer.
	Events uint64 `json:"events"`
}

// Handler is the admin API and page of one engine; see the package
// documentation for what it serves. Make one with [New]; the zero Handler
// answers 404 Not Found to everything, as one without a token does. It is
// safe for concurrent use.
type Handler struct {
	e       *chaos.Engine
	enabled bool
	token   [sha256.Size]byte
	key     [32]byte // signs session cookies
	log     *slog.Logger
	maxBody int64 // < 0: no limit
	status  func() any
	events  *ring
	cop     http.CrossOriginProtection
	proxies []netip.Prefix
	clients *throttle
	live    *sessions

	closeOnce sync.Once
	remove    func()

	applied, rejected, kills, rearms, logins, denied, throttled atomic.Uint64
}

var _ http.Handler = (*Handler)(nil)

// New returns the admin handler for e; a nil e means [chaos.Default]. Unless [WithEvents] turns them off,
// it adds an observer to e to record events: call [Handler.Close] to remove
// it when the handler is no longer served.
func New(e *chaos.Engine, opts ...Option) *Handler {
	if e == nil {
		e = chaos.Default()
	}
	c := config{events: DefaultEvents, maxBody: DefaultMaxBody, failures: DefaultLoginFailures}
	for _, o := range opts {
		o.apply(&c)
	}
	h := &Handler{
		e:       e,
		enabled: c.token != "",
		token:   sha256.Sum256([]byte(c.token)),
		log:     c.log,
		maxBody: c.maxBody,
		status:  c.status,
		proxies: c.proxies,
		clients: newThrottle(c.failures, maxClients),
		live:    newSessions(maxSessions),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	rand.Read(h.key[:]) // never fails, as crypto/rand documents
	if c.events > 0 {
		h.events = newRing(c.events)
		h.remove = e.AddObserver(h.events)
	}
	return h
}

// Close removes the handler's observer from the engine, so that it stops
// recording events. The handler goes on serving everything else. Close is
// idempotent and always returns nil.
func (h *Handler) Close() error {
	h.closeOnce.Do(func() {
		if h.remove != nil {
			h.remove()
		}
	})
	return nil
}

// Counters returns what happened through the handler so far.
func (h *Handler) Counters() Counters {
	c := Counters{
		Applied:   h.applied.Load(),
		Rejected:  h.rejected.Load(),
		Kills:     h.kills.Load(),
		Rearms:    h.rearms.Load(),
		Logins:    h.logins.Load(),
		Denied:    h.denied.Load(),
		Throttled: h.throttled.Load(),
	}
	if h.events != nil {
		c.Events = h.events.next.Load()
	}
	return c
}

// route is one path the handler serves.
type route struct {
	allow string // the Allow header: the methods served
	get   func(*Handler, http.ResponseWriter, *http.Request, auth)
	post  func(*Handler, http.ResponseWriter, *http.Request, auth) // POST or PUT, as allow says
}

var routes = map[string]route{
	"":           {allow: "GET, HEAD", get: (*Handler).servePage},
	"kill":       {allow: "POST", post: (*Handler).servePageKill},
	"rearm":      {allow: "POST", post: (*Handler).servePageRearm},
	"plan":       {allow: "POST", post: (*Handler).servePagePlan},
	"logout":     {allow: "POST", post: (*Handler).serveLogout},
	"api/plan":   {allow: "GET, HEAD, PUT", get: (*Handler).serveGetPlan, post: (*Handler).servePutPlan},
	"api/kill":   {allow: "POST", post: (*Handler).serveKill},
	"api/rearm":  {allow: "POST", post: (*Handler).serveRearm},
	"api/stats":  {allow: "GET, HEAD", get: (*Handler).serveStats},
	"api/events": {allow: "GET, HEAD", get: (*Handler).serveEvents},
	"api/status": {allow: "GET, HEAD", get: (*Handler).serveStatus},
}

// ServeHTTP serves the API and the page; see the package documentation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.enabled {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	if h.maxBody > 0 {
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	}

	path := strings.TrimPrefix(r.URL.Path, "/")
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	if !safe {
		if err := h.cop.Check(r); err != nil {
			h.deny(w, r, http.StatusForbidden, "admin: cross-origin request refused")
			return
		}
	}
	if path == "login" {
		h.serveLogin(w, r)
		return
	}
	a, ok := h.authenticate(r)
	if !ok {
		h.unauthorized(w, r, path, a)
		return
	}
	rt, found := routes[path]
	if !found {
		writeError(w, http.StatusNotFound, "admin: no such page "+path, nil)
		return
	}
	var serve func(*Handler, http.ResponseWriter, *http.Request, auth)
	switch {
	case safe:
		serve = rt.get
	case r.Method == http.MethodPost && rt.allow == "POST",
		r.Method == http.MethodPut && strings.HasSuffix(rt.allow, "PUT"):
		serve = rt.post
	}
	if serve == nil {
		hd.Set("Allow", rt.allow)
		writeError(w, http.StatusMethodNotAllowed, "admin: method "+r.Method+" not allowed; use "+rt.allow, nil)
		return
	}
	if !safe && !h.checkCSRF(w, r, a) {
		return
	}
	serve(h, w, r, a)
}

// logChange logs a change with who made it.
func (h *Handler) logChange(r *http.Request, a auth, level slog.Level, msg string, attrs ...any) {
	attrs = append(attrs, "remote", r.RemoteAddr, "client", h.clientName(r), "auth", a.method)
	h.log.Log(r.Context(), level, msg, attrs...)
}
