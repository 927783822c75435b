package admin

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"pgregory.net/rapid"
)

var formHeader = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// login logs in through the form and returns the session cookie and the
// CSRF token the page carries.
func login(t *testing.T, h http.Handler) (*http.Cookie, string) {
	t.Helper()
	w := do(t, h, req{method: "POST", path: "login", token: "-", header: formHeader, body: "token=" + url.QueryEscape(testToken)})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "./" {
		t.Fatalf("login: %d to %q, want 303 to ./; body %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies, want 1", len(cookies))
	}
	c := cookies[0]
	page := do(t, h, req{method: "GET", path: "", token: "-", cookie: c})
	if page.Code != http.StatusOK {
		t.Fatalf("page with the session cookie: %d", page.Code)
	}
	m := csrfField.FindStringSubmatch(page.Body.String())
	if m == nil || m[1] == "" {
		t.Fatalf("page carries no CSRF token:\n%s", page.Body)
	}
	return &http.Cookie{Name: c.Name, Value: c.Value}, m[1]
}

func TestLogin(t *testing.T) {
	_, h := newTest(t)
	t.Run("wrong token", func(t *testing.T) {
		w := do(t, h, req{method: "POST", path: "login", token: "-", header: formHeader, body: "token=guess"})
		if w.Code != http.StatusUnauthorized || len(w.Result().Cookies()) != 0 {
			t.Fatalf("status %d with %d cookies, want 401 and none", w.Code, len(w.Result().Cookies()))
		}
		if !strings.Contains(w.Body.String(), `id="login-error"`) {
			t.Error("the login page does not say the token was wrong")
		}
	})
	t.Run("cookie attributes", func(t *testing.T) {
		w := do(t, h, req{method: "POST", path: "login", token: "-", header: formHeader, body: "token=" + url.QueryEscape(testToken)})
		c := w.Result().Cookies()[0]
		if c.Name != cookieName || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "" || c.MaxAge != 8*3600 {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, no Path, 8h", c)
		}
		if strings.Contains(c.Value, testToken) {
			t.Error("the cookie holds the token")
		}
	})
	t.Run("login page", func(t *testing.T) {
		w := do(t, h, req{method: "GET", path: "", token: "-"})
		body := w.Body.String()
		if w.Code != http.StatusUnauthorized || !strings.Contains(body, `<form method="post" action="login">`) || !strings.Contains(body, `id="token"`) {
			t.Errorf("root without a session: %d\n%s", w.Code, body)
		}
		if strings.Contains(body, `id="kill"`) {
			t.Error("the login page shows the kill switch")
		}
	})
	if c := h.Counters(); c.Logins != 1 || c.Denied != 2 {
		t.Errorf("counters %+v, want 1 login and 2 denied", c)
	}
}

func TestSessionChanges(t *testing.T) {
	tests := []struct {
		name    string
		csrf    func(valid string) string // the csrf form field; "" sends none
		header  map[string]string
		want    int
		disable bool
	}{
		{"with csrf", func(v string) string { return v }, nil, http.StatusSeeOther, true},
		{"without csrf", func(string) string { return "" }, nil, http.StatusForbidden, false},
		{"wrong csrf", func(v string) string { return v[:len(v)-2] + "AA" }, nil, http.StatusForbidden, false},
		{"cross-site", func(v string) string { return v }, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, false},
		{"same-site other origin", func(v string) string { return v }, map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden, false},
		{"other Origin", func(v string) string { return v }, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, false},
		{"same-origin", func(v string) string { return v }, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://svc.example"}, http.StatusSeeOther, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t)
			cookie, csrf := login(t, h)
			hd := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			for k, v := range tt.header {
				hd[k] = v
			}
			body := ""
			if c := tt.csrf(csrf); c != "" {
				body = "csrf=" + url.QueryEscape(c)
			}
			w := do(t, h, req{method: "POST", path: "kill", token: "-", cookie: cookie, header: hd, body: body})
			if w.Code != tt.want || e.Disabled() != tt.disable {
				t.Fatalf("status %d, disabled %v; want %d, %v; body %s", w.Code, e.Disabled(), tt.want, tt.disable, w.Body)
			}
		})
	}
	t.Run("csrf header on the API", func(t *testing.T) {
		e, h := newTest(t)
		cookie, csrf := login(t, h)
		w := do(t, h, req{method: "PUT", path: "api/plan", token: "-", cookie: cookie, body: "a=error"})
		if w.Code != http.StatusForbidden {
			t.Fatalf("PUT with a cookie and no CSRF token: %d, want 403", w.Code)
		}
		w = do(t, h, req{method: "PUT", path: "api/plan", token: "-", cookie: cookie, body: "a=error", header: map[string]string{"X-CSRF-Token": csrf}})
		if w.Code != http.StatusOK || len(e.Plan().Rules) != 1 {
			t.Fatalf("PUT with a cookie and the CSRF header: %d; body %s", w.Code, w.Body)
		}
	})
	t.Run("bearer needs no csrf", func(t *testing.T) {
		e, h := newTest(t)
		if w := do(t, h, req{method: "POST", path: "api/kill"}); w.Code != http.StatusOK || !e.Disabled() {
			t.Fatalf("bearer kill: %d", w.Code)
		}
	})
	t.Run("bearer from another origin", func(t *testing.T) {
		e, h := newTest(t)
		w := do(t, h, req{method: "POST", path: "api/kill", header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
		if w.Code != http.StatusForbidden || e.Disabled() {
			t.Fatalf("cross-site bearer kill: %d, disabled %v", w.Code, e.Disabled())
		}
	})
	t.Run("wrong bearer beats a good cookie", func(t *testing.T) {
		_, h := newTest(t)
		cookie, _ := login(t, h)
		if w := do(t, h, req{method: "GET", path: "api/plan", token: "wrong", cookie: cookie}); w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", w.Code)
		}
	})
}

func TestSessionValidity(t *testing.T) {
	_, h := newTest(t)
	_, other := newTest(t)
	now := time.Now()
	good := h.newSession(now)
	flip := func(s string) string {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		b[len(b)-1] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name  string
		value string
		at    time.Time
		ok    bool
	}{
		{"fresh", good, now, true},
		{"just before expiry", good, now.Add(sessionTTL - time.Second), true},
		{"expired", good, now.Add(sessionTTL), false},
		{"old session", h.newSession(now.Add(-9 * time.Hour)), now, false},
		{"signed by another handler", other.newSession(now), now, false},
		{"tampered", flip(good), now, false},
		{"truncated", good[:len(good)-1], now, false},
		{"empty", "", now, false},
		{"the token", testToken, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := h.checkSession(tt.value, tt.at); ok != tt.ok {
				t.Errorf("checkSession = %v, want %v", ok, tt.ok)
			}
		})
	}
	t.Run("expired cookie", func(t *testing.T) {
		c := &http.Cookie{Name: cookieName, Value: h.newSession(now.Add(-9 * time.Hour))}
		if w := do(t, h, req{method: "GET", path: "api/plan", token: "-", cookie: c}); w.Code != http.StatusUnauthorized {
			t.Errorf("expired cookie: %d, want 401", w.Code)
		}
	})
	t.Run("logout", func(t *testing.T) {
		cookie, csrf := login(t, h)
		w := do(t, h, req{method: "POST", path: "logout", token: "-", cookie: cookie, header: formHeader, body: "csrf=" + url.QueryEscape(csrf)})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("logout: %d", w.Code)
		}
		if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
			t.Errorf("logout cookies %+v, want one that expires", c)
		}
	})
}

// TestSessionTamperProperty checks that changing any one byte of a valid
// session cookie makes it invalid.
func TestSessionTamperProperty(t *testing.T) {
	_, h := newTest(t)
	now := time.Now()
	rapid.Check(t, func(rt *rapid.T) {
		b, _ := base64.RawURLEncoding.DecodeString(h.newSession(now))
		i := rapid.IntRange(0, len(b)-1).Draw(rt, "byte")
		x := rapid.ByteRange(1, 255).Draw(rt, "xor")
		b[i] ^= x
		if _, ok := h.checkSession(base64.RawURLEncoding.EncodeToString(b), now); ok {
			rt.Fatalf("cookie with byte %d xored by %#x still valid", i, x)
		}
	})
}

func FuzzCheckSession(f *testing.F) {
	h := New(chaos.New(chaos.WithSeed(1)), WithToken(testToken), WithEvents(-1))
	now := time.Now()
	good := h.newSession(now)
	f.Add(good)
	f.Add("")
	f.Add(strings.Repeat("A", 75))
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, v string) {
		nonce, ok := h.checkSession(v, now)
		if ok && (v != good || len(nonce) != nonceLen) {
			t.Fatalf("accepted %q (nonce of %d bytes); only %q is valid", v, len(nonce), good)
		}
	})
}

func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  abc ", "Basic abc", "Bearer", "Bearer ", "", " Bearer x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tok, ok := parseBearer(v)
		if !ok {
			return
		}
		if tok == "" || strings.HasPrefix(tok, " ") || strings.HasSuffix(tok, " ") {
			t.Fatalf("parseBearer(%q) = %q", v, tok)
		}
		if again, ok := parseBearer("Bearer " + tok); !ok || again != tok {
			t.Fatalf("round trip of %q gives %q, %v", tok, again, ok)
		}
	})
}

// TestLogoutEndsSession checks that logging out ends the session on the
// server: its cookie, copied before, no longer lets anyone in, while
// another session goes on.
func TestLogoutEndsSession(t *testing.T) {
	e, h := newTest(t)
	cookie, csrf := login(t, h)
	other, _ := login(t, h)
	w := do(t, h, req{method: "POST", path: "logout", token: "-", cookie: cookie, header: formHeader, body: "csrf=" + url.QueryEscape(csrf)})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", w.Code)
	}
	for _, q := range []req{
		{method: "GET", path: "api/plan", token: "-", cookie: cookie},
		{method: "GET", path: "", token: "-", cookie: cookie},
		{method: "POST", path: "kill", token: "-", cookie: cookie, header: formHeader, body: "csrf=" + url.QueryEscape(csrf)},
		{method: "POST", path: "logout", token: "-", cookie: cookie, header: formHeader, body: "csrf=" + url.QueryEscape(csrf)},
	} {
		if w := do(t, h, q); w.Code != http.StatusUnauthorized {
			t.Errorf("%s /%s with the cookie of a logged-out session: %d, want 401", q.method, q.path, w.Code)
		}
	}
	if e.Disabled() {
		t.Error("a logged-out session threw the kill switch")
	}
	if w := do(t, h, req{method: "GET", path: "api/plan", token: "-", cookie: other}); w.Code != http.StatusOK {
		t.Errorf("another session after the logout: %d, want 200", w.Code)
	}
}

// TestSessionsBounded logs in more often than the handler keeps sessions:
// it keeps the newest, and forgets expired ones first.
func TestSessionsBounded(t *testing.T) {
	_, h := newTest(t)
	now := time.Now()
	h.newSession(now.Add(-sessionTTL)) // expired: dropped first
	first := h.newSession(now)
	for range maxSessions - 1 {
		h.newSession(now.Add(time.Second))
	}
	if n := h.live.len(); n != maxSessions {
		t.Fatalf("%d sessions held, want %d", n, maxSessions)
	}
	if _, ok := h.checkSession(first, now); !ok {
		t.Error("the expired session was not the one dropped")
	}
	last := h.newSession(now.Add(2 * time.Second))
	if n := h.live.len(); n != maxSessions {
		t.Errorf("%d sessions held, want %d", n, maxSessions)
	}
	if _, ok := h.checkSession(first, now); ok {
		t.Error("the session closest to expiry is still live in a full table")
	}
	if _, ok := h.checkSession(last, now); !ok {
		t.Error("the newest session is not live")
	}
}
