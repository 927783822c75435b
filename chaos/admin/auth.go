package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// sessionTTL is how long a browser session lasts.
const sessionTTL = 8 * time.Hour

// cookieName names the session cookie.
const cookieName = "faultline_admin"

// Session cookies are base64url(expiry[8] nonce[16] mac[32]), the MAC being
// HMAC-SHA256 over the first 24 bytes under the handler's key.
const (
	nonceLen   = 16
	payloadLen = 8 + nonceLen
	sessionLen = payloadLen + sha256.Size
)

// auth says how a request got in, or why it did not.
type auth struct {
	// method is "bearer" or "session"; empty when the request is not let in.
	method string
	// csrf is the CSRF token of the session.
	csrf string
	// badToken reports that an Authorization header was sent but is wrong.
	badToken bool
}

// authenticate lets r in by its bearer token or its session cookie. An
// Authorization header, when sent, decides alone.
func (h *Handler) authenticate(r *http.Request) (auth, bool) {
	if hv := r.Header.Values("Authorization"); len(hv) > 0 {
		if tok, ok := parseBearer(hv[0]); ok && h.tokenOK(tok) {
			return auth{method: "bearer"}, true
		}
		return auth{badToken: true}, false
	}
	now := time.Now()
	for _, c := range r.CookiesNamed(cookieName) {
		if nonce, ok := h.checkSession(c.Value, now); ok {
			return auth{method: "session", csrf: h.csrfToken(nonce)}, true
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

// newSession returns a session cookie value valid until now+sessionTTL.
func (h *Handler) newSession(now time.Time) string {
	var b [sessionLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.Add(sessionTTL).Unix()))
	rand.Read(b[8:payloadLen])
	m := hmac.New(sha256.New, h.key[:])
	m.Write(b[:payloadLen])
	m.Sum(b[:payloadLen])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkSession returns the nonce of a session cookie value that this
// handler signed and that has not expired at now.
func (h *Handler) checkSession(v string, now time.Time) (nonce []byte, ok bool) {
	if base64.RawURLEncoding.DecodedLen(len(v)) != sessionLen {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(b) != sessionLen {
		return nil, false
	}
	m := hmac.New(sha256.New, h.key[:])
	m.Write(b[:payloadLen])
	if !hmac.Equal(m.Sum(nil), b[payloadLen:]) {
		return nil, false
	}
	if exp := int64(binary.BigEndian.Uint64(b[:8])); now.Unix() >= exp {
		return nil, false
	}
	return b[8:payloadLen], true
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
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "faultline admin: request denied",
		slog.String("remote", r.RemoteAddr), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("reason", msg))
	writeError(w, code, msg, nil)
}

// unauthorized answers a request without valid credentials: the login
// page at the root, 401 in JSON elsewhere.
func (h *Handler) unauthorized(w http.ResponseWriter, r *http.Request, path string, a auth) {
	h.denied.Add(1)
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "faultline admin: unauthorized",
		slog.String("remote", r.RemoteAddr), slog.String("method", r.Method), slog.String("path", r.URL.Path))
	challenge := `Bearer realm="faultline"`
	if a.badToken {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	if path == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		h.renderLogin(w, http.StatusUnauthorized, "")
		return
	}
	writeError(w, http.StatusUnauthorized, "admin: missing or invalid bearer token", nil)
}

// serveLogin takes the token from the login form and sets the session
// cookie.
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
	if err := r.ParseForm(); err != nil {
		writeBodyError(w, err, "admin: reading login form")
		return
	}
	if !h.tokenOK(r.PostForm.Get("token")) {
		h.denied.Add(1)
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "faultline admin: login failed", slog.String("remote", r.RemoteAddr))
		h.renderLogin(w, http.StatusUnauthorized, "Wrong token.")
		return
	}
	h.logins.Add(1)
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "faultline admin: login", slog.String("remote", r.RemoteAddr))
	// No Path: the browser scopes the cookie to the directory of this
	// request, which is where the handler is mounted.
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    h.newSession(time.Now()),
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	seeOther(w)
}

// serveLogout clears the session cookie.
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request, a auth) {
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "faultline admin: logout", slog.String("remote", r.RemoteAddr))
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	seeOther(w)
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
