package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// attempt is one try at the token in a throttle test.
type attempt struct {
	login      bool          // through the login form, else a bearer token
	right      bool          // the right token, else a wrong one
	remote     string        // the peer; httptest's 192.0.2.1:1234 when empty
	xff        string        // X-Forwarded-For, if not empty
	after      time.Duration // fake time to let pass before it
	want       int
	retryAfter string // the Retry-After header wanted
}

// try sends a to h.
func try(t *testing.T, h *Handler, a attempt) *httptest.ResponseRecorder {
	t.Helper()
	tok := "wrong-token"
	if a.right {
		tok = testToken
	}
	q := req{method: "GET", path: "api/status", token: tok, remote: a.remote, header: map[string]string{}}
	if a.login {
		q = req{method: "POST", path: "login", token: "-", remote: a.remote, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			body: "token=" + url.QueryEscape(tok)}
	}
	if a.xff != "" {
		q.header["X-Forwarded-For"] = a.xff
	}
	return do(t, h, q)
}

// times returns n copies of a.
func times(n int, a attempt) []attempt {
	as := make([]attempt, n)
	for i := range as {
		as[i] = a
	}
	return as
}

// then joins runs of attempts.
func then(runs ...[]attempt) []attempt {
	var as []attempt
	for _, r := range runs {
		as = append(as, r...)
	}
	return as
}

var (
	wrongLogin  = attempt{login: true, want: http.StatusUnauthorized}
	rightLogin  = attempt{login: true, right: true, want: http.StatusSeeOther}
	wrongBearer = attempt{want: http.StatusUnauthorized}
	rightBearer = attempt{right: true, want: http.StatusOK}
)

// with returns a changed by f.
func with(a attempt, f func(*attempt)) attempt { f(&a); return a }

// refused returns a, answered 429 with Retry-After secs.
func refused(a attempt, secs string) attempt {
	return with(a, func(a *attempt) { a.want, a.retryAfter = http.StatusTooManyRequests, secs })
}

// after returns a made d after the attempt before it.
func after(d time.Duration, a attempt) attempt { return with(a, func(a *attempt) { a.after = d }) }

// from returns a sent by peer, with X-Forwarded-For xff if not empty.
func from(peer, xff string, a attempt) attempt {
	return with(a, func(a *attempt) { a.remote, a.xff = peer, xff })
}

// TestLoginThrottle checks that a client address that keeps sending
// wrong tokens, at the login form or as a bearer token, must wait longer
// and longer, and that nothing else is held up. Time is fake.
func TestLoginThrottle(t *testing.T) {
	rotating := make([]attempt, 8) // wrong tokens, each claiming another client
	for i := range rotating {
		rotating[i] = with(wrongBearer, func(a *attempt) { a.xff = fmt.Sprintf("198.51.100.%d", i) })
	}
	tests := []struct {
		name     string
		opts     []Option
		attempts []attempt
	}{
		{"login form", nil, then(times(5, wrongLogin), []attempt{
			refused(rightLogin, "1"), after(time.Second, rightLogin)})},
		{"bearer tokens count too", nil, then(times(5, wrongBearer), []attempt{
			refused(rightBearer, "1"), refused(rightLogin, "1"), after(time.Second, rightBearer)})},
		{"mixed", nil, then(times(3, wrongLogin), times(2, wrongBearer), []attempt{refused(rightLogin, "1")})},
		{"the wait doubles", nil, then(times(5, wrongBearer), []attempt{
			after(time.Second, wrongBearer), refused(rightBearer, "2"), after(time.Second, refused(rightBearer, "1")),
			after(time.Second, wrongBearer), refused(rightBearer, "4"),
			after(4*time.Second, wrongBearer), refused(rightBearer, "8"),
		})},
		{"the wait is at most 15 minutes", nil, then(times(5, wrongBearer), []attempt{
			after(time.Second, wrongBearer), after(2*time.Second, wrongBearer), after(4*time.Second, wrongBearer),
			after(8*time.Second, wrongBearer), after(16*time.Second, wrongBearer), after(32*time.Second, wrongBearer),
			after(64*time.Second, wrongBearer), after(128*time.Second, wrongBearer), after(256*time.Second, wrongBearer),
			after(512*time.Second, wrongBearer), refused(rightBearer, "900"), after(15*time.Minute, rightBearer),
		})},
		{"success forgets failures", nil, then(times(4, wrongLogin), []attempt{rightLogin}, times(5, wrongLogin), []attempt{refused(rightBearer, "1")})},
		{"an hour forgets failures", nil, then(times(4, wrongBearer), []attempt{after(time.Hour, wrongBearer)}, times(3, wrongBearer), []attempt{rightBearer})},
		{"per client address", nil, then(times(5, wrongBearer), []attempt{
			from("203.0.113.9:1", "", rightBearer), refused(rightBearer, "1")})},
		{"an IPv6 /64 is one client", nil, then(times(3, from("[2001:db8::1]:1", "", wrongBearer)), times(2, from("[2001:db8::2]:1", "", wrongBearer)), []attempt{
			from("[2001:db8::3]:1", "", refused(rightBearer, "1")), from("[2001:db8:0:1::1]:1", "", rightBearer)})},
		{"X-Forwarded-For of an untrusted peer is ignored", nil, then(rotating[:5], []attempt{refused(with(rightBearer, func(a *attempt) { a.xff = "198.51.100.200" }), "1")})},
		{"X-Forwarded-For of a trusted proxy names the client", []Option{WithTrustedProxies("10.0.0.0/8")}, then(
			times(5, from("10.0.0.1:1", "198.51.100.1", wrongBearer)), []attempt{
				from("10.0.0.1:1", "198.51.100.2", rightBearer),
				from("10.0.0.2:1", "198.51.100.1", refused(rightBearer, "1")),
				from("10.0.0.2:1", "198.51.100.1, 10.0.0.1", refused(rightLogin, "1")),
				from("10.0.0.1:1", "", rightBearer),
			})},
		{"two failures allowed", []Option{WithLoginThrottle(2)}, then(times(2, wrongLogin), []attempt{refused(rightLogin, "1")})},
		{"zero means the default", []Option{WithLoginThrottle(0)}, then(times(5, wrongLogin), []attempt{refused(rightLogin, "1")})},
		{"negative turns it off", []Option{WithLoginThrottle(-1)}, then(times(50, wrongLogin), times(50, wrongBearer), []attempt{rightLogin, rightBearer})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				_, h := newTest(t, tt.opts...)
				throttled := 0
				for i, a := range tt.attempts {
					time.Sleep(a.after) // fake time: moves the clock at once
					w := try(t, h, a)
					if w.Code != a.want || w.Header().Get("Retry-After") != a.retryAfter {
						t.Fatalf("attempt %d (%+v): %d with Retry-After %q, want %d with %q; body %s",
							i, a, w.Code, w.Header().Get("Retry-After"), a.want, a.retryAfter, w.Body)
					}
					if a.want == http.StatusTooManyRequests {
						throttled++
						if cookies := w.Result().Cookies(); len(cookies) != 0 {
							t.Fatalf("attempt %d: throttled, but set %v", i, cookies)
						}
					}
				}
				if c := h.Counters(); c.Throttled != uint64(throttled) {
					t.Errorf("counted %d throttled, want %d", c.Throttled, throttled)
				}
			})
		})
	}
}

// TestThrottleSpares checks what the throttle does not hold up: a browser
// with a session, and requests of other clients.
func TestThrottleSpares(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, h := newTest(t)
		cookie, _ := login(t, h)
		for range 10 {
			try(t, h, wrongBearer)
		}
		if w := try(t, h, rightBearer); w.Code != http.StatusTooManyRequests {
			t.Fatalf("right token after 10 failures: %d, want 429", w.Code)
		}
		if w := do(t, h, req{method: "GET", path: "api/plan", token: "-", cookie: cookie}); w.Code != http.StatusOK {
			t.Errorf("session of the throttled address: %d, want 200", w.Code)
		}
		if w := try(t, h, from("192.0.2.2:1", "", rightBearer)); w.Code != http.StatusOK {
			t.Errorf("another address: %d, want 200", w.Code)
		}
		if w := do(t, h, req{method: "GET", path: "", token: "-"}); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `id="token"`) {
			t.Errorf("login page for the throttled address without a token: %d, want 401 with the form", w.Code)
		}
	})
}

// logLines decodes the JSON log in buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for l := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestRefusalsLoggedOncePerMinute checks that a client that keeps failing
// gets one log line a minute, which counts the refusals not logged.
func TestRefusalsLoggedOncePerMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		_, h := newTest(t, WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
		for range 50 { // 5 wrong, then 45 throttled
			try(t, h, wrongLogin)
		}
		for range 5 { // cross-origin: denied
			do(t, h, req{method: "POST", path: "api/kill", header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
		}
		try(t, h, from("203.0.113.9:1", "", wrongBearer)) // another client
		time.Sleep(logInterval)
		try(t, h, wrongLogin)
		type line struct {
			Msg      string
			Client   string
			Failures float64
			Unlogged float64
		}
		var got []line
		for _, m := range logLines(t, &buf) {
			l := line{Msg: m["msg"].(string), Client: m["client"].(string), Unlogged: m["unlogged"].(float64)}
			if f, ok := m["failures"].(float64); ok {
				l.Failures = f
			}
			got = append(got, l)
		}
		want := []line{
			{"faultline admin: wrong token", "192.0.2.1", 1, 0},
			{"faultline admin: wrong token", "203.0.113.9", 1, 0},
			{"faultline admin: wrong token", "192.0.2.1", 6, 4 + 45 + 5},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("log (-want +got):\n%s", diff)
		}
	})
}

// TestThrottleBounded sends wrong tokens from more addresses than the
// throttle remembers: it keeps the most recent, and says once that it
// forgot some.
func TestThrottleBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		_, h := newTest(t, WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}))))
		const n = maxClients + 2000
		addr := func(i int) string { return fmt.Sprintf("10.%d.%d.%d:1", i>>16, (i>>8)&255, i&255) }
		for i := range n {
			if w := try(t, h, from(addr(i), "", wrongBearer)); w.Code != http.StatusUnauthorized {
				t.Fatalf("address %d: %d", i, w.Code)
			}
		}
		if got := h.clients.len(); got != maxClients {
			t.Errorf("throttle holds %d clients, want %d", got, maxClients)
		}
		// The most recent are remembered, the oldest forgotten.
		for range 4 {
			try(t, h, from(addr(n-1), "", wrongBearer))
		}
		if w := try(t, h, from(addr(n-1), "", rightBearer)); w.Code != http.StatusTooManyRequests {
			t.Errorf("most recent address after 5 failures: %d, want 429", w.Code)
		}
		if h.clients.wait(clientKeyOf(h, addr(0)), time.Now()) != 0 || h.clients.get(clientKeyOf(h, addr(0)), false) != nil {
			t.Error("the oldest address is still remembered")
		}
	})
	t.Run("log", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var buf bytes.Buffer
			_, h := newTest(t, WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
			h.clients.max = 10
			for i := range 100 {
				try(t, h, from(fmt.Sprintf("10.0.0.%d:1", i), "", wrongBearer))
			}
			var full []map[string]any
			for _, l := range logLines(t, &buf) {
				if strings.Contains(l["msg"].(string), "forgot") {
					full = append(full, l)
				}
			}
			if len(full) != 1 || full[0]["forgotten"] != 1.0 || full[0]["kept"] != 10.0 {
				t.Errorf("lines about a full throttle: %v, want one", full)
			}
		})
	})
}

// clientKeyOf returns the throttle key of a request from remote.
func clientKeyOf(h *Handler, remote string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = remote
	return h.clientKey(r)
}

// TestThrottleWaits checks the waits of the throttle itself.
func TestThrottleWaits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		free  int
		waits []time.Duration // after each failure, each made when the wait before it ends
	}{
		{5, []time.Duration{0, 0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}},
		{1, []time.Duration{time.Second, 2 * time.Second}},
		{-1, []time.Duration{0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.free), func(t *testing.T) {
			g := newThrottle(tt.free, 10)
			at := now
			for i, want := range tt.waits {
				n, wait := g.fail("k", at)
				if n != i+1 || wait != want {
					t.Fatalf("failure %d: %d in a row, wait %v; want %d, %v", i+1, n, wait, i+1, want)
				}
				if got := g.wait("k", at); got != want {
					t.Errorf("failure %d: wait() = %v, want %v", i+1, got, want)
				}
				at = at.Add(wait)
			}
		})
	}
	t.Run("capped", func(t *testing.T) {
		g := newThrottle(5, 10)
		var wait time.Duration
		for range 200 {
			_, wait = g.fail("k", now)
		}
		if wait != backoffMax {
			t.Errorf("wait after 200 failures %v, want %v", wait, backoffMax)
		}
	})
}
