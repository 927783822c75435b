package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/google/go-cmp/cmp"
)

func TestOffWithoutToken(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	for _, h := range []*Handler{New(e), New(e, WithToken(""))} {
		defer h.Close()
		for _, q := range []req{
			{method: "GET", path: ""},
			{method: "GET", path: "api/plan"},
			{method: "GET", path: "api/plan", token: "-"},
			{method: "POST", path: "api/kill"},
			{method: "POST", path: "login", body: "token=", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}},
		} {
			if w := do(t, h, q); w.Code != http.StatusNotFound {
				t.Errorf("%s /%s without a configured token: %d, want 404", q.method, q.path, w.Code)
			}
		}
	}
	if e.Disabled() {
		t.Error("a handler without a token threw the kill switch")
	}
}

func TestAuth(t *testing.T) {
	e, h := newTest(t)
	tests := []struct {
		name      string
		header    string // Authorization; "" sends none
		path      string
		want      int
		challenge string
	}{
		{"no token", "", "api/plan", 401, `Bearer realm="faultline"`},
		{"no token on page", "", "", 401, `Bearer realm="faultline"`},
		{"wrong token", "Bearer nope", "api/plan", 401, `Bearer realm="faultline", error="invalid_token"`},
		{"token prefix", "Bearer " + testToken[:len(testToken)-1], "api/stats", 401, `Bearer realm="faultline", error="invalid_token"`},
		{"token with suffix", "Bearer " + testToken + "x", "api/stats", 401, `Bearer realm="faultline", error="invalid_token"`},
		{"basic scheme", "Basic " + testToken, "api/plan", 401, `Bearer realm="faultline", error="invalid_token"`},
		{"empty bearer", "Bearer ", "api/plan", 401, `Bearer realm="faultline", error="invalid_token"`},
		{"wrong token on unknown path", "Bearer nope", "api/nothing", 401, `Bearer realm="faultline", error="invalid_token"`},
		{"right token", "Bearer " + testToken, "api/plan", 200, ""},
		{"scheme in lower case", "bearer " + testToken, "api/stats", 200, ""},
		{"right token on page", "Bearer " + testToken, "", 200, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One client address per case, so that the wrong tokens do not
			// add up to a throttled client.
			q := req{method: "GET", path: tt.path, token: "-", remote: fmt.Sprintf("198.51.100.%d:1234", i+1)}
			if tt.header != "" {
				q.header = map[string]string{"Authorization": tt.header}
			}
			w := do(t, h, q)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Error("answer is cacheable")
			}
		})
	}
	t.Run("refused changes change nothing", func(t *testing.T) {
		for _, tok := range []string{"-", "wrong"} {
			do(t, h, req{method: "POST", path: "api/kill", token: tok})
			do(t, h, req{method: "PUT", path: "api/plan", token: tok, body: "x=error"})
		}
		if e.Disabled() || len(e.Plan().Rules) != 0 {
			t.Errorf("unauthorized requests changed the engine: disabled %v, plan %v", e.Disabled(), e.Plan())
		}
	})
	if c := h.Counters(); c.Denied < 8 || c.Applied != 0 || c.Kills != 0 {
		t.Errorf("counters %+v: want ≥8 denied and no change", c)
	}
}

func TestRoutes(t *testing.T) {
	_, h := newTest(t)
	tests := []struct {
		method, path string
		want         int
		allow        string
	}{
		{"GET", "api/nothing", 404, ""},
		{"GET", "api", 404, ""},
		{"POST", "api/plan", 405, "GET, HEAD, PUT"},
		{"DELETE", "api/plan", 405, "GET, HEAD, PUT"},
		{"GET", "api/kill", 405, "POST"},
		{"PUT", "api/kill", 405, "POST"},
		{"POST", "api/stats", 405, "GET, HEAD"},
		{"POST", "", 405, "GET, HEAD"},
		{"GET", "kill", 405, "POST"},
		{"HEAD", "api/stats", 200, ""},
		{"HEAD", "", 200, ""},
		{"GET", "login", 303, ""},
		{"DELETE", "login", 405, "GET, HEAD, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := do(t, h, req{method: tt.method, path: tt.path})
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

// TestGetChangesNothing reads every page and API path, many times, and

// checks that the engine and the handler's counters are as before.

func TestGetChangesNothing(t *testing.T) {
	e, h := newTest(t)
	if err := e.Apply(chaos.MustParsePlan("db.query=50%error(boom)"), chaos.FromSource("test")); err != nil {
		t.Fatal(err)
	}
	fire(e, "db.query", 10)
	before, stats, counters := e.Active(), e.Stats(), h.Counters()
	for range 3 {
		for _, path := range []string{"", "api/plan", "api/stats", "api/events", "api/events?after=2", "api/status", "login"} {
			for _, m := range []string{"GET", "HEAD"} {
				if w := do(t, h, req{method: m, path: path}); w.Code >= 400 {
					t.Fatalf("%s /%s: %d %s", m, path, w.Code, w.Body)
				}
			}
		}
	}
	after := e.Active()
	if !after.Plan.Equal(before.Plan) || after.Source != before.Source || !after.Applied.Equal(before.Applied) || after.Disabled {
		t.Errorf("GET changed the active plan:\nbefore %+v\nafter  %+v", before, after)
	}
	if diff := cmp.Diff(stats, e.Stats()); diff != "" {
		t.Errorf("GET changed the counters (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(counters, h.Counters()); diff != "" {
		t.Errorf("GET changed the handler's counters (-before +after):\n%s", diff)
	}
}

func TestKill(t *testing.T) {
	e, h := newTest(t)
	if err := e.Apply(chaos.MustParsePlan("db.query=error"), chaos.FromSource("test")); err != nil {
		t.Fatal(err)
	}
	if st := decode[Status](t, do(t, h, req{method: "GET", path: "api/status"})); st.Status != "armed" {
		t.Fatalf("status %q before the kill switch, want armed", st.Status)
	}
	w := do(t, h, req{method: "POST", path: "api/kill"})
	if w.Code != 200 {
		t.Fatalf("status %d; body %s", w.Code, w.Body)
	}
	if !e.Disabled() {
		t.Fatal("engine not disabled after api/kill")
	}
	if v := decode[PlanState](t, w); !v.Disabled {
		t.Errorf("answer %+v does not say disabled", v)
	}
	if err := e.Point("db.query").Inject(t.Context()); err != nil {
		t.Errorf("a point fired after the kill switch: %v", err)
	}
	st := decode[Status](t, do(t, h, req{method: "GET", path: "api/status"}))
	if st.Status != "disabled" || !st.Disabled || st.Counters.Kills != 1 {
		t.Errorf("api/status = %+v, want disabled after 1 kill", st)
	}
	if want := "admin: 192.0.2.1"; st.DisabledReason != want || e.Active().DisabledReason != want {
		t.Errorf("kill switch reason %q (engine %q), want %q", st.DisabledReason, e.Active().DisabledReason, want)
	}
	// Applying a plan no longer turns the engine on again: it asks to re-arm.
	w = do(t, h, req{method: "PUT", path: "api/plan", body: "db.query=error", header: map[string]string{"Content-Type": "text/plain"}})
	if w.Code != http.StatusConflict || !e.Disabled() {
		t.Fatalf("PUT api/plan while disabled: %d, disabled %v; want 409 and still disabled", w.Code, e.Disabled())
	}
	if msg := decode[errorView](t, w).Error; !strings.Contains(msg, "re-arm first") || !strings.Contains(msg, "api/rearm") {
		t.Errorf("409 says %q, want it to say to re-arm first with api/rearm", msg)
	}
}

func TestStats(t *testing.T) {
	e, h := newTest(t)
	if err := e.Apply(chaos.MustParsePlan("db.query=3*error(x)")); err != nil {
		t.Fatal(err)
	}
	fire(e, "db.query", 5)
	e.Point("http.get")
	got := decode[chaos.Stats](t, do(t, h, req{method: "GET", path: "api/stats"}))
	if diff := cmp.Diff(e.Stats(), got); diff != "" {
		t.Errorf("api/stats (-engine +api):\n%s", diff)
	}
	if len(got.Points) != 2 || got.Points[0].Point != "db.query" || got.Points[0].Fired != 3 || got.Points[0].Evaluations != 5 {
		t.Errorf("api/stats points = %+v", got.Points)
	}
}

func TestStatus(t *testing.T) {
	e, h := newTest(t, WithSourceStatus(func() any {
		return map[string]any{"source": "http", "etag": `"v3"`, "failures": 2}
	}))
	st := decode[Status](t, do(t, h, req{method: "GET", path: "api/status"}))
	if st.Status != "armed" || st.Instance != "test-1" || st.Seed != e.Seed() {
		t.Errorf("api/status = %+v", st)
	}
	var runner map[string]any
	if err := json.Unmarshal(st.Runner, &runner); err != nil || runner["etag"] != `"v3"` || runner["failures"] != 2.0 {
		t.Errorf("runner = %s (%v)", st.Runner, err)
	}

	_, h = newTest(t, WithSourceStatus(func() any { return make(chan int) }))
	st = decode[Status](t, do(t, h, req{method: "GET", path: "api/status"}))
	if !strings.Contains(string(st.Runner), "encoding source status") {
		t.Errorf("runner that cannot be encoded shows %s", st.Runner)
	}
}

func TestLogsEveryChange(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	_, h := newTest(t, WithLogger(log))
	do(t, h, req{method: "PUT", path: "api/plan", body: "db.query=error"})
	do(t, h, req{method: "PUT", path: "api/plan", body: "db.query=explode"})
	do(t, h, req{method: "POST", path: "api/kill"})
	do(t, h, req{method: "GET", path: "api/plan"})
	type line struct {
		Level, Msg, Auth, Remote string
	}
	var got []line
	for l := range strings.Lines(buf.String()) {
		var x line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		got = append(got, x)
	}
	want := []line{
		{"INFO", "faultline admin: plan applied", "bearer", "192.0.2.1:1234"},
		{"WARN", "faultline admin: plan rejected", "bearer", "192.0.2.1:1234"},
		{"WARN", "faultline admin: kill switch thrown", "bearer", "192.0.2.1:1234"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

// TestMountedUnderPrefix serves the handler under a prefix through a mux,

// as the package documentation shows.

func TestMountedUnderPrefix(t *testing.T) {
	_, h := newTest(t)
	mux := http.NewServeMux()
	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/debug/faultline/", 200},
		{"/debug/faultline/api/plan", 200},
		{"/debug/faultline", http.StatusTemporaryRedirect},
		{"/debug/faultline/api/nope", 404},
		{"/debug/faultline/login", 303},
	} {
		r := httptest.NewRequest("GET", tt.path, nil)
		r.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("GET %s: %d, want %d", tt.path, w.Code, tt.want)
		}
		if loc := w.Header().Get("Location"); tt.want == 303 && loc != "./" {
			t.Errorf("GET %s redirects to %q, want the relative ./", tt.path, loc)
		}
	}
}

// FuzzPutPlan sends any body with any Content-Type: the answer is one of

// the documented statuses, and a plan that is not applied leaves the

// engine as it was.

func TestZeroAndNil(t *testing.T) {
	var zero Handler
	if w := do(t, &zero, req{method: "GET", path: "api/plan"}); w.Code != http.StatusNotFound {
		t.Errorf("zero Handler: %d, want 404", w.Code)
	}
	if err := zero.Close(); err != nil || zero.Counters() != (Counters{}) {
		t.Errorf("zero Handler: Close %v, Counters %+v", err, zero.Counters())
	}
	h := New(nil, WithToken(testToken), WithEvents(-1))
	defer h.Close()
	if st := decode[Status](t, do(t, h, req{method: "GET", path: "api/status"})); st.Seed != chaos.Default().Seed() {
		t.Errorf("New(nil) serves seed %d, want the default engine's %d", st.Seed, chaos.Default().Seed())
	}
}
