package admin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

// TestKillAndRearm drives the kill switch and the re-arm action through
// the API, the page and the engine itself, and after every step checks
// that api/status and the page say what the engine says: disabled or not,
// why and when, who re-armed and when, and the generation.
func TestKillAndRearm(t *testing.T) {
	e, h := newTest(t)
	cookie, csrf := login(t, h)
	put := func(plan string) *req {
		return &req{method: "PUT", path: "api/plan", body: plan, header: map[string]string{"Content-Type": "text/plain"}}
	}
	form := func(path string, v url.Values) *req {
		v.Set("csrf", csrf)
		return &req{method: "POST", path: path, token: "-", cookie: cookie, header: formHeader, body: v.Encode()}
	}
	steps := []struct {
		name     string
		q        *req   // sent to the handler, if not nil
		engine   func() // called on the engine, if not nil
		want     int
		wantErr  string // in the answer's body
		disabled bool
		reason   string
		rearmBy  string
		genStep  uint64 // how much the generation moves
		plan     string // the plan in force afterwards
	}{
		{name: "apply", q: put("db.query=error"), want: 200, genStep: 1, plan: "db.query=error"},
		{name: "kill", q: &req{method: "POST", path: "api/kill"}, want: 200, disabled: true, reason: "admin: 192.0.2.1", genStep: 1},
		{name: "apply while killed", q: put("db.query=error"), want: http.StatusConflict, wantErr: "re-arm first", disabled: true, reason: "admin: 192.0.2.1"},
		{name: "page plan while killed", q: form("plan", url.Values{"plan": {"db.query=error"}}), want: http.StatusConflict, wantErr: "re-arm first", disabled: true, reason: "admin: 192.0.2.1"},
		{name: "engine disabled by a guard", engine: func() { e.Disable("guard: error rate 12% over 5%") }, disabled: true, reason: "guard: error rate 12% over 5%", genStep: 1},
		{name: "rearm", q: &req{method: "POST", path: "api/rearm"}, want: 200, reason: "guard: error rate 12% over 5%", rearmBy: "admin: 192.0.2.1", genStep: 1},
		{name: "rearm again changes nothing", q: &req{method: "POST", path: "api/rearm"}, want: 200, reason: "guard: error rate 12% over 5%", rearmBy: "admin: 192.0.2.1"},
		{name: "apply after rearm", q: put("db.query=error(x)"), want: 200, reason: "guard: error rate 12% over 5%", rearmBy: "admin: 192.0.2.1", genStep: 1, plan: "db.query=error(x)"},
		{name: "page kill", q: form("kill", url.Values{}), want: http.StatusSeeOther, disabled: true, reason: "admin: 192.0.2.1", rearmBy: "admin: 192.0.2.1", genStep: 1},
		{name: "page rearm from another address", q: func() *req { q := form("rearm", url.Values{}); q.remote = "203.0.113.5:999"; return q }(), want: http.StatusSeeOther, reason: "admin: 192.0.2.1", rearmBy: "admin: 203.0.113.5", genStep: 1},
	}
	gen := e.Active().Generation
	for _, st := range steps {
		if st.q != nil {
			w := do(t, h, *st.q)
			if w.Code != st.want || !strings.Contains(w.Body.String(), st.wantErr) {
				t.Fatalf("%s: %d, want %d with %q; body %.300s", st.name, w.Code, st.want, st.wantErr, w.Body)
			}
		}
		if st.engine != nil {
			st.engine()
		}
		act := e.Active()
		gen += st.genStep
		if act.Disabled != st.disabled || act.DisabledReason != st.reason || act.RearmedBy != st.rearmBy || act.Generation != gen || e.Plan().String() != st.plan {
			t.Fatalf("%s: engine disabled %v reason %q rearmed by %q generation %d plan %q; want %v %q %q %d %q",
				st.name, act.Disabled, act.DisabledReason, act.RearmedBy, act.Generation, e.Plan(), st.disabled, st.reason, st.rearmBy, gen, st.plan)
		}
		sv := decode[Status](t, do(t, h, req{method: "GET", path: "api/status"}))
		if sv.Disabled != act.Disabled || sv.Status != statusText(act) || sv.DisabledReason != act.DisabledReason ||
			!sv.DisabledAt.Equal(act.DisabledAt) || sv.RearmedBy != act.RearmedBy || !sv.RearmedAt.Equal(act.RearmedAt) || sv.Generation != act.Generation {
			t.Errorf("%s: api/status %+v\ndoes not match the engine %+v", st.name, sv, act)
		}
		pv := decode[PlanState](t, do(t, h, req{method: "GET", path: "api/plan"}))
		if pv.Disabled != act.Disabled || pv.Generation != act.Generation || pv.DisabledReason != act.DisabledReason || pv.RearmedBy != act.RearmedBy {
			t.Errorf("%s: api/plan %+v\ndoes not match the engine %+v", st.name, pv.Active, act)
		}
		page := do(t, h, req{method: "GET", path: ""}).Body.String()
		for _, s := range []string{
			`data-state="` + statusText(act) + `"`,
			`id="generation">` + itoa(int64(act.Generation)) + `<`,
		} {
			if !strings.Contains(page, s) {
				t.Errorf("%s: page lacks %s", st.name, s)
			}
		}
		if act.DisabledReason != "" && !strings.Contains(page, `id="disabled-reason">`+act.DisabledReason+`<`) {
			t.Errorf("%s: page does not show the reason %q", st.name, act.DisabledReason)
		}
		if act.RearmedBy != "" && !strings.Contains(page, `by <code>`+act.RearmedBy+`</code>`) {
			t.Errorf("%s: page does not show who re-armed, %q", st.name, act.RearmedBy)
		}
		if got := strings.Contains(page, `id="rearm"`); got != act.Disabled {
			t.Errorf("%s: page shows the re-arm button: %v, want %v", st.name, got, act.Disabled)
		}
	}
	if c := h.Counters(); c.Kills != 2 || c.Rearms != 3 || c.Applied != 2 || c.Rejected != 2 {
		t.Errorf("counters %+v, want 2 kills, 3 re-arms, 2 applied, 2 rejected", c)
	}
}

// TestRearmRoutes checks that re-arming, like the kill switch, is a POST
// that needs credentials and, from a browser, the CSRF token.
func TestRearmRoutes(t *testing.T) {
	tests := []struct {
		name string
		q    req
		want int
	}{
		{"GET api/rearm", req{method: "GET", path: "api/rearm"}, http.StatusMethodNotAllowed},
		{"GET rearm", req{method: "GET", path: "rearm"}, http.StatusMethodNotAllowed},
		{"no token", req{method: "POST", path: "api/rearm", token: "-"}, http.StatusUnauthorized},
		{"wrong token", req{method: "POST", path: "api/rearm", token: "wrong"}, http.StatusUnauthorized},
		{"cross-site", req{method: "POST", path: "api/rearm", header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
		{"bearer", req{method: "POST", path: "api/rearm"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t)
			e.Disable("test")
			if w := do(t, h, tt.q); w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			if rearmed := !e.Disabled(); rearmed != (tt.want == http.StatusOK) {
				t.Errorf("re-armed: %v after %d", rearmed, tt.want)
			}
		})
	}
	t.Run("session without csrf", func(t *testing.T) {
		e, h := newTest(t)
		cookie, _ := login(t, h)
		e.Disable("test")
		w := do(t, h, req{method: "POST", path: "rearm", token: "-", cookie: cookie, header: formHeader})
		if w.Code != http.StatusForbidden || !e.Disabled() {
			t.Fatalf("status %d, disabled %v; want 403 and still disabled", w.Code, e.Disabled())
		}
	})
}

// TestKillNamesClient checks the kill switch's reason: the client address,
// which is the X-Forwarded-For one only behind a trusted proxy.
func TestKillNamesClient(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		remote  string
		xff     string
		want    string
	}{
		{"direct", nil, "203.0.113.5:4000", "", "admin: 203.0.113.5"},
		{"direct ipv6", nil, "[2001:db8::7]:4000", "", "admin: 2001:db8::7"},
		{"forwarded, no proxy trusted", nil, "203.0.113.5:4000", "198.51.100.1", "admin: 203.0.113.5"},
		{"forwarded by an untrusted peer", []string{"10.0.0.0/8"}, "203.0.113.5:4000", "198.51.100.1", "admin: 203.0.113.5"},
		{"forwarded by a trusted proxy", []string{"10.0.0.0/8"}, "10.1.1.1:4000", "198.51.100.1", "admin: 198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t, WithTrustedProxies(tt.proxies...))
			q := req{method: "POST", path: "api/kill", remote: tt.remote}
			if tt.xff != "" {
				q.header = map[string]string{"X-Forwarded-For": tt.xff}
			}
			if w := do(t, h, q); w.Code != 200 {
				t.Fatalf("kill: %d", w.Code)
			}
			if got := e.Active().DisabledReason; got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPageRearmAfterEngineKill checks that the page offers re-arming
// whoever threw the switch, and that re-arming applies no plan.
func TestPageRearmAfterEngineKill(t *testing.T) {
	e, h := newTest(t)
	if err := e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
		t.Fatal(err)
	}
	e.Disable("guard: <b>error</b> rate")
	cookie, csrf := login(t, h)
	page := do(t, h, req{method: "GET", path: "", token: "-", cookie: cookie}).Body.String()
	for _, s := range []string{`<form method="post" action="rearm">`, `id="rearm"`, "guard: &lt;b&gt;error&lt;/b&gt; rate"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	w := do(t, h, req{method: "POST", path: "rearm", token: "-", cookie: cookie, header: formHeader, body: "csrf=" + url.QueryEscape(csrf)})
	if w.Code != http.StatusSeeOther || e.Disabled() {
		t.Fatalf("re-arm: %d, disabled %v", w.Code, e.Disabled())
	}
	if len(e.Plan().Rules) != 0 {
		t.Errorf("re-arming applied %v", e.Plan())
	}
}
