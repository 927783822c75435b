package admin

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies := []string{"10.0.0.0/8", "192.0.2.7", "fd00::/8"}
	tests := []struct {
		name    string
		proxies []string
		remote  string
		xff     []string // X-Forwarded-For headers
		want    string   // clientName
		key     string   // clientKey
	}{
		{"peer", proxies, "203.0.113.5:80", nil, "203.0.113.5", "203.0.113.5"},
		{"no proxy trusted", nil, "10.0.0.1:80", []string{"198.51.100.1"}, "10.0.0.1", "10.0.0.1"},
		{"untrusted peer", proxies, "203.0.113.5:80", []string{"198.51.100.1"}, "203.0.113.5", "203.0.113.5"},
		{"trusted proxy", proxies, "10.0.0.1:80", []string{"198.51.100.1"}, "198.51.100.1", "198.51.100.1"},
		{"trusted proxy by address", proxies, "192.0.2.7:80", []string{"198.51.100.1"}, "198.51.100.1", "198.51.100.1"},
		{"address next to a trusted one", proxies, "192.0.2.8:80", []string{"198.51.100.1"}, "192.0.2.8", "192.0.2.8"},
		{"trusted proxy, no header", proxies, "10.0.0.1:80", nil, "10.0.0.1", "10.0.0.1"},
		{"spoofed entries left of the client", proxies, "10.0.0.1:80", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1", "198.51.100.1"},
		{"a chain of proxies", proxies, "10.0.0.1:80", []string{"1.1.1.1, 198.51.100.1, 10.9.9.9", "192.0.2.7"}, "198.51.100.1", "198.51.100.1"},
		{"all proxies", proxies, "10.0.0.1:80", []string{"10.0.0.2, 10.0.0.3"}, "10.0.0.2", "10.0.0.2"},
		{"garbage stops at the proxy that added it", proxies, "10.0.0.1:80", []string{"198.51.100.1, garbage"}, "10.0.0.1", "10.0.0.1"},
		{"garbage further left", proxies, "10.0.0.1:80", []string{"garbage, 198.51.100.1"}, "198.51.100.1", "198.51.100.1"},
		{"with ports", proxies, "10.0.0.1:80", []string{"[2001:db8::1]:4711, 10.0.0.2:80"}, "2001:db8::1", "2001:db8::/64"},
		{"IPv4-mapped peer", proxies, "[::ffff:10.0.0.1]:80", []string{"198.51.100.1"}, "198.51.100.1", "198.51.100.1"},
		{"IPv6 proxy", proxies, "[fd00::1]:80", []string{"2001:db8:1:2:3:4:5:6"}, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"unix socket", proxies, "@", []string{"198.51.100.1"}, "@", "unknown"},
		{"no address", proxies, "", nil, "unknown", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(nil, WithToken(testToken), WithEvents(-1), WithTrustedProxies(tt.proxies...))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := h.clientName(r); got != tt.want {
				t.Errorf("clientName = %q, want %q", got, tt.want)
			}
			if got := h.clientKey(r); got != tt.key {
				t.Errorf("clientKey = %q, want %q", got, tt.key)
			}
		})
	}
}

// TestSecureCookie checks when the session cookie is Secure: over TLS, or
// when a trusted proxy says it terminated TLS; never for an
// X-Forwarded-Proto from anyone else.
func TestSecureCookie(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		remote  string
		proto   string // X-Forwarded-Proto
		tls     bool
		want    bool
	}{
		{"plain", nil, "", "", false, false},
		{"tls", nil, "", "", true, true},
		{"forwarded proto, no proxy trusted", nil, "10.0.0.1:1", "https", false, false},
		{"forwarded proto from an untrusted peer", []string{"10.0.0.0/8"}, "203.0.113.5:1", "https", false, false},
		{"forwarded proto from a trusted proxy", []string{"10.0.0.0/8"}, "10.0.0.1:1", "https", false, true},
		{"in upper case", []string{"10.0.0.0/8"}, "10.0.0.1:1", "HTTPS", false, true},
		{"list, first https", []string{"10.0.0.0/8"}, "10.0.0.1:1", "https, http", false, true},
		{"forwarded http from a trusted proxy", []string{"10.0.0.0/8"}, "10.0.0.1:1", "http", false, false},
		{"tls from an untrusted peer", []string{"10.0.0.0/8"}, "203.0.113.5:1", "http", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, h := newTest(t, WithTrustedProxies(tt.proxies...))
			hd := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			if tt.proto != "" {
				hd["X-Forwarded-Proto"] = tt.proto
			}
			r := httptest.NewRequest("POST", "http://svc.example/login", strings.NewReader("token="+url.QueryEscape(testToken)))
			for k, v := range hd {
				r.Header.Set(k, v)
			}
			if tt.remote != "" {
				r.RemoteAddr = tt.remote
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			cookies := w.Result().Cookies()
			if w.Code != http.StatusSeeOther || len(cookies) != 1 {
				t.Fatalf("login: %d with %d cookies", w.Code, len(cookies))
			}
			if cookies[0].Secure != tt.want {
				t.Errorf("login cookie Secure = %v, want %v", cookies[0].Secure, tt.want)
			}

			// Logging out clears the cookie with the same attributes.
			c := &http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value}
			page := do(t, h, req{method: "GET", path: "", token: "-", cookie: c, remote: r.RemoteAddr})
			csrf := csrfField.FindStringSubmatch(page.Body.String())
			if csrf == nil {
				t.Fatalf("no CSRF token on the page: %d", page.Code)
			}
			out := do(t, h, req{method: "POST", path: "logout", token: "-", cookie: c, remote: r.RemoteAddr,
				header: hd, body: "csrf=" + url.QueryEscape(csrf[1])})
			if cs := out.Result().Cookies(); len(cs) != 1 || cs[0].Secure != tt.want && !tt.tls {
				t.Errorf("logout cookies %+v, want one with Secure %v", cs, tt.want)
			}
		})
	}
}

func TestWithTrustedProxies(t *testing.T) {
	for _, good := range []string{"10.0.0.0/8", "10.1.2.3/8", " 192.0.2.7 ", "2001:db8::/32", "::1", "fe80::1%eth0", "::ffff:10.0.0.1"} {
		h := New(nil, WithToken(testToken), WithEvents(-1), WithTrustedProxies(good))
		if len(h.proxies) != 1 {
			t.Errorf("WithTrustedProxies(%q) kept %v", good, h.proxies)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "10.0.0", "example.com", "10.0.0.0/8,10.1.0.0/16", "::ffff:10.0.0.0/104"} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "WithTrustedProxies") {
					t.Errorf("WithTrustedProxies(%q) did not panic naming itself: %v", bad, r)
				}
			}()
			WithTrustedProxies(bad)
		}()
	}
	h := New(nil, WithToken(testToken), WithEvents(-1), WithTrustedProxies("10.0.0.0/8"), WithTrustedProxies("192.0.2.7", "fd00::/8"))
	if len(h.proxies) != 3 {
		t.Errorf("two WithTrustedProxies kept %v, want all 3", h.proxies)
	}
}
