package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// auth says how a request got in, or why it did not.
type auth struct {
	// method is "bearer" or "session"; empty when the request is not let in.
	method string
	// csrf is the CSRF token of the session.
	csrf string
	// session is the nonce of the session, when method is "session".
	session [nonceLen]byte
	// badToken reports that an Authorization header was sent but is wrong.
	badToken bool
	// wait, when positive, reports that the login throttle refused the
	// request, and how long the client must wait.
	wait time.Duration
}

// authenticate lets r in by its bearer token or its session cookie. An
// Authorization header, when sent, decides alone; a bearer token is
// checked only if the login throttle lets the client try.
func (h *Handler) authenticate(r *http.Request) (auth, bool) {
	now := time.Now()
	if hv := r.Header.Values("Authorization"); len(hv) > 0 {
		tok, ok := parseBearer(hv[0])
		if !ok {
			return auth{badToken: true}, false
		}
		key := h.clientKey(r)
		if wait := h.clients.wait(key, now); wait > 0 {
			return auth{wait: wait}, false
		}
		if !h.tokenOK(tok) {
			h.failed(r, key, "bearer", now)
			return auth{badToken: true}, false
		}
		h.clients.succeed(key)
		return auth{method: "bearer"}, true
	}
	for _, c := range r.CookiesNamed(cookieName) {
		if nonce, ok := h.checkSession(c.Value, now); ok {
			return auth{method: "session", csrf: h.csrfToken(nonce[:]), session: nonce}, true
		}
	}
	return auth{}, false
}

// parseBearer returns the token of an Authorization header value of the
// form "Bearer TOKEN" (the scheme in any case).
func parseBearer(v string) (string, bool) {
	scheme, rest, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok := strings.Trim(rest, " ")
	return tok, tok != ""
}

// tokenOK compares tok with the handler's token in constant time. Comparing
// the SHA-256 sums keeps the length of the token secret too.
func (h *Handler) tokenOK(tok string) bool {
	sum := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(sum[:], h.token[:]) == 1
}

// csrfToken returns the CSRF token of the session with nonce.
func (h *Handler) csrfToken(nonce []byte) string {
	m := hmac.New(sha256.New, h.key[:])
	m.Write([]byte("csrf\x00"))
	m.Write(nonce)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF lets a change through when it came with a bearer token, or
// with its session's CSRF token; otherwise it answers and returns false.
func (h *Handler) checkCSRF(w http.ResponseWriter, r *http.Request, a auth) bool {
	if a.method == "bearer" {
		return true
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		if err := r.ParseForm(); err != nil {
			writeBodyError(w, err, "admin: reading form")
			return false
		}
		tok = r.PostForm.Get("csrf")
	}
	if !hmac.Equal([]byte(tok), []byte(a.csrf)) {
		h.deny(w, r, http.StatusForbidden, "admin: missing or wrong CSRF token")
		return false
	}
	return true
}

// deny refuses a request that is not allowed in.
func (h *Handler) deny(w http.ResponseWriter, r *http.Request, code int, msg string) {
	h.denied.Add(1)
	h.logRefusal(r, h.clientKey(r), time.Now(), "faultline admin: request denied", slog.String("reason", msg))
	writeError(w, code, msg, nil)
}

// failed records a wrong token from the client of key, sent by way of via
// ("bearer" or "login"), and returns how long the client must now wait.
func (h *Handler) failed(r *http.Request, key, via string, now time.Time) time.Duration {
	failures, wait := h.clients.fail(key, now)
	attrs := []slog.Attr{slog.String("auth", via), slog.Int("failures", failures)}
	if wait > 0 {
		attrs = append(attrs, slog.Duration("wait", wait))
	}
	h.logRefusal(r, key, now, "faultline admin: wrong token", attrs...)
	return wait
}

// logRefusal logs a refused request at Warn, at most once per logInterval
// per client: the line counts, as "unlogged", the refusals of the client
// since the last line that were not logged.
func (h *Handler) logRefusal(r *http.Request, key string, now time.Time, msg string, attrs ...slog.Attr) {
	ctx := r.Context()
	if !h.log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	if n := h.clients.overflow(now); n > 0 {
		h.log.LogAttrs(ctx, slog.LevelWarn, "faultline admin: too many client addresses to throttle; forgot the least recently seen",
			slog.Int("forgotten", n), slog.Int("kept", h.clients.max))
	}
	if ok, unlogged := h.clients.report(key, now); ok {
		attrs = append(attrs, slog.String("remote", r.RemoteAddr), slog.String("client", h.clientName(r)),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("unlogged", unlogged))
		h.log.LogAttrs(ctx, slog.LevelWarn, msg, attrs...)
	}
}

// throttle answers a request the login throttle refused: 429 Too Many
// Requests with Retry-After, as the login page at the root or login, in
// JSON elsewhere.
func (h *Handler) throttle(w http.ResponseWriter, r *http.Request, page bool, wait time.Duration) {
	h.throttled.Add(1)
	secs := (wait + time.Second - 1) / time.Second
	h.logRefusal(r, h.clientKey(r), time.Now(), "faultline admin: login throttled", slog.Duration("retry_after", secs*time.Second))
	w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	if page {
		h.renderLogin(w, http.StatusTooManyRequests, "Too many failed attempts from your address: try again in "+seconds(wait)+".")
		return
	}
	writeError(w, http.StatusTooManyRequests, "admin: too many failed attempts from "+h.clientName(r)+": retry after "+seconds(wait), nil)
}

// unauthorized answers a request without valid credentials: the login
// page at the root, 401 in JSON elsewhere; 429 when the login throttle
// refused it.
func (h *Handler) unauthorized(w http.ResponseWriter, r *http.Request, path string, a auth) {
	page := path == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
	if a.wait > 0 {
		h.throttle(w, r, page, a.wait)
		return
	}
	h.denied.Add(1)
	challenge := `Bearer realm="faultline"`
	if a.badToken {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	if page {
		h.renderLogin(w, http.StatusUnauthorized, "")
		return
	}
	writeError(w, http.StatusUnauthorized, "admin: missing or invalid bearer token", nil)
}

// serveLogin takes the token from the login form and sets the session
// cookie, unless the login throttle makes the client wait.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
	case http.MethodGet, http.MethodHead:
		seeOther(w)
		return
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeError(w, http.StatusMethodNotAllowed, "admin: method "+r.Method+" not allowed; use POST", nil)
		return
	}
	now := time.Now()
	key := h.clientKey(r)
	if wait := h.clients.wait(key, now); wait > 0 {
		h.throttle(w, r, true, wait)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeBodyError(w, err, "admin: reading login form")
		return
	}
	if !h.tokenOK(r.PostForm.Get("token")) {
		h.denied.Add(1)
		msg := "Wrong token."
		if wait := h.failed(r, key, "login", now); wait > 0 {
			msg += " Too many failed attempts: wait " + seconds(wait) + " before the next."
		}
		h.renderLogin(w, http.StatusUnauthorized, msg)
		return
	}
	h.clients.succeed(key)
	h.logins.Add(1)
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "faultline admin: login",
		slog.String("remote", r.RemoteAddr), slog.String("client", h.clientName(r)))
	// No Path: the browser scopes the cookie to the directory of this
	// request, which is where the handler is mounted.
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    h.newSession(now),
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		Secure:   h.overTLS(r),
		SameSite: http.SameSiteStrictMode,
	})
	seeOther(w)
}

// serveLogout ends the session, so that its cookie no longer lets anyone
// in, even one copied before, and clears the cookie.
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request, a auth) {
	if a.method == "session" {
		h.live.end(a.session)
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "faultline admin: logout",
		slog.String("remote", r.RemoteAddr), slog.String("client", h.clientName(r)), slog.String("auth", a.method))
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   h.overTLS(r),
		SameSite: http.SameSiteStrictMode,
	})
	seeOther(w)
}

// seconds says d in whole seconds, rounded up: "1 second", "8 seconds".
func seconds(d time.Duration) string {
	n := int64((d + time.Second - 1) / time.Second)
	if n == 1 {
		return "1 second"
	}
	return strconv.FormatInt(n, 10) + " seconds"
}

// writeBodyError answers a request whose body could not be read: 413 when
// it was too large, 400 otherwise.
func writeBodyError(w http.ResponseWriter, err error, doing string) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, doing+": body larger than "+itoa(tooBig.Limit)+" bytes", nil)
		return
	}
	writeError(w, http.StatusBadRequest, doing+": "+err.Error(), nil)
}
