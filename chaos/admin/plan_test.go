package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/google/go-cmp/cmp"
)

func TestGetPlan(t *testing.T) {
	e, h := newTest(t)
	p := chaos.MustParsePlan("db.query=10%delay(200ms);pay.*=3*error(timeout)[after=2]")
	p.Version = "v7"
	if err := e.Apply(p, chaos.FromSource("file:/etc/plan.json")); err != nil {
		t.Fatal(err)
	}
	v := decode[PlanState](t, do(t, h, req{method: "GET", path: "api/plan"}))
	if !v.Plan.Equal(p) || v.Source != "file:/etc/plan.json" || v.Applied.IsZero() || v.Disabled {
		t.Errorf("api/plan = %+v, want plan %v from file", v, p)
	}
	if v.Text != p.String() {
		t.Errorf("text = %q, want %q", v.Text, p.String())
	}
}

func TestPutPlan(t *testing.T) {
	const start = "db.query=error(start)"
	jsonPlan := `{"version":"v2","rules":[{"point":"db.query","fault":{"kind":"latency","delay":"10ms"},"rate":0.5}]}`
	tests := []struct {
		name        string
		contentType string
		body        string
		want        int
		wantPlan    string // text form of the plan applied, when want is 200
		wantVersion string
		wantErr     string // in the error message
		wantPaths   []string
	}{
		{name: "json", contentType: "application/json", body: jsonPlan, want: 200, wantPlan: "db.query=50%delay(10ms)", wantVersion: "v2"},
		{name: "json with charset", contentType: "application/json; charset=utf-8", body: jsonPlan, want: 200, wantPlan: "db.query=50%delay(10ms)", wantVersion: "v2"},
		{name: "vendor json", contentType: "application/vnd.faultline+json", body: jsonPlan, want: 200, wantPlan: "db.query=50%delay(10ms)", wantVersion: "v2"},
		{name: "text", contentType: "text/plain", body: "db.query=3*error(x);http.*=abort", want: 200, wantPlan: "db.query=3*error(x);http.*=abort"},
		{name: "no type, text", body: "db.query=badconn", want: 200, wantPlan: "db.query=badconn"},
		{name: "no type, json", body: "  \n" + jsonPlan, want: 200, wantPlan: "db.query=50%delay(10ms)", wantVersion: "v2"},
		{name: "empty text switches off", contentType: "text/plain", body: "", want: 200, wantPlan: ""},
		{
			name: "bad values", contentType: "application/json", want: 422, wantErr: "invalid plan",
			body:      `{"rules":[{"point":"a","fault":"error(x)"},{"point":"b","fault":"error(x)","rate":1.5},{"point":"","fault":"error(x)","times":-1}]}`,
			wantPaths: []string{"rules[1].rate", "rules[2].point", "rules[2].times"},
		},
		{name: "text grammar", contentType: "text/plain", body: "a=error;b=explode", want: 422, wantErr: "invalid plan", wantPaths: []string{"rules[1]"}},
		{name: "json declared, text sent", contentType: "application/json", body: "a=error", want: 400, wantErr: "malformed JSON"},
		{name: "truncated json", body: `{"rules":[`, want: 400, wantErr: "malformed JSON"},
		{name: "unknown field", contentType: "application/json", body: `{"rulez":[]}`, want: 422, wantErr: "invalid plan"},
		{name: "form type", contentType: "application/x-www-form-urlencoded", body: "plan=a%3Derror", want: 415, wantErr: "content type"},
		{name: "bad type", contentType: "text/", body: "a=error", want: 415, wantErr: "content type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t)
			if err := e.Apply(chaos.MustParsePlan(start), chaos.FromSource("test")); err != nil {
				t.Fatal(err)
			}
			q := req{method: "PUT", path: "api/plan", body: tt.body}
			if tt.contentType != "" {
				q.header = map[string]string{"Content-Type": tt.contentType}
			}
			w := do(t, h, q)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			act := e.Active()
			if tt.want == 200 {
				v := decode[PlanState](t, w)
				if act.Plan.String() != tt.wantPlan || act.Plan.Version != tt.wantVersion || act.Source != "admin" {
					t.Errorf("active plan %q version %q from %q, want %q version %q from admin", act.Plan, act.Plan.Version, act.Source, tt.wantPlan, tt.wantVersion)
				}
				if v.Text != tt.wantPlan || v.Source != "admin" {
					t.Errorf("answer %+v does not show the new plan", v)
				}
				if c := h.Counters(); c.Applied != 1 || c.Rejected != 0 {
					t.Errorf("counters %+v, want 1 applied", c)
				}
				return
			}
			ev := decode[errorView](t, w)
			if !strings.Contains(ev.Error, tt.wantErr) {
				t.Errorf("error %q does not say %q", ev.Error, tt.wantErr)
			}
			var paths []string
			for _, p := range ev.Problems {
				if p.Message == "" {
					t.Errorf("problem at %q has no message", p.Path)
				}
				paths = append(paths, p.Path)
			}
			if tt.wantPaths != nil {
				if diff := cmp.Diff(tt.wantPaths, paths); diff != "" {
					t.Errorf("problem paths (-want +got):\n%s", diff)
				}
			}
			if act.Plan.String() != start || act.Source != "test" {
				t.Errorf("a rejected plan changed the engine: %q from %q", act.Plan, act.Source)
			}
			if c := h.Counters(); c.Applied != 0 || c.Rejected != 1 {
				t.Errorf("counters %+v, want 1 rejected", c)
			}
		})
	}
}

func TestPutPlanRefusedByPolicy(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.ProductionPolicy()))
	h := New(e, WithToken(testToken))
	defer h.Close()
	w := do(t, h, req{method: "PUT", path: "api/plan", body: "db.query=1%error;pay.charge=panic(x)", header: map[string]string{"Content-Type": "text/plain"}})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422; body %s", w.Code, w.Body)
	}
	ev := decode[errorView](t, w)
	if !strings.Contains(ev.Error, "refused by policy") {
		t.Errorf("error %q does not say the policy refused", ev.Error)
	}
	var paths []string
	for _, p := range ev.Problems {
		paths = append(paths, p.Path)
	}
	if diff := cmp.Diff([]string{"rules[1].fault.kind", "rules[1].rate"}, paths); diff != "" {
		t.Errorf("problem paths (-want +got):\n%s", diff)
	}
	if len(e.Plan().Rules) != 0 {
		t.Errorf("refused plan was applied: %v", e.Plan())
	}
}

func TestBodyLimit(t *testing.T) {
	big := "a=error;" + strings.Repeat(" ", DefaultMaxBody)
	tests := []struct {
		name string
		opts []Option
		body string
		want int
	}{
		{"default limit", nil, big, 413},
		{"default limit, at most", nil, big[:DefaultMaxBody], 200},
		{"small limit", []Option{WithMaxBody(16)}, "db.query=error(too-long)", 413},
		{"small limit, fits", []Option{WithMaxBody(16)}, "db.query=error", 200},
		{"zero means default", []Option{WithMaxBody(0)}, big, 413},
		{"negative means none: the plan limit answers", []Option{WithMaxBody(-1)}, big, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t, tt.opts...)
			w := do(t, h, req{method: "PUT", path: "api/plan", body: tt.body, header: map[string]string{"Content-Type": "text/plain"}})
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %.200s", w.Code, tt.want, w.Body)
			}
			if tt.want == 413 {
				if ev := decode[errorView](t, w); !strings.Contains(ev.Error, "body larger than") {
					t.Errorf("error %q does not say the body is too large", ev.Error)
				}
				if len(e.Plan().Rules) != 0 {
					t.Error("an oversize body changed the plan")
				}
			}
		})
	}
	t.Run("form", func(t *testing.T) {
		e, h := newTest(t, WithMaxBody(64))
		cookie, csrf := login(t, h)
		w := do(t, h, req{method: "POST", path: "kill", token: "-", cookie: cookie,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			body:   "csrf=" + csrf + "&pad=" + strings.Repeat("x", 64)})
		if w.Code != 413 || e.Disabled() {
			t.Errorf("oversize form: status %d, disabled %v; want 413 and armed", w.Code, e.Disabled())
		}
	})
}

func FuzzPutPlan(f *testing.F) {
	e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{MaxRules: 3}))
	h := New(e, WithToken(testToken), WithMaxBody(4096), WithEvents(0))
	for _, s := range []struct{ ct, body string }{
		{"text/plain", "db.query=10%delay(200ms);db.*=3*error(timeout)[after=2,label.tenant=acme]"},
		{"application/json", `{"version":"v1","rules":[{"point":"a","fault":"abort","rate":0.5}]}`},
		{"", `{"rules":[{"point":"a","fault":{"kind":"status","code":503}}]}`},
		{"", "a=error;b=error;c=error;d=error"},
		{"text/html", "<p>"},
		{"application/json", "{"},
	} {
		f.Add(s.ct, s.body)
	}
	start := chaos.MustParsePlan("keep=error")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		if err := e.Apply(start, chaos.FromSource("start")); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("PUT", "/api/plan", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+testToken)
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200:
			if e.Active().Source != "admin" {
				t.Fatalf("200 but the plan is from %q", e.Active().Source)
			}
		case 400, 413, 415, 422:
			if act := e.Active(); act.Source != "start" || !act.Plan.Equal(start) {
				t.Fatalf("%d but the plan changed to %v from %q", w.Code, act.Plan, act.Source)
			}
			var ev errorView
			if err := json.Unmarshal(w.Body.Bytes(), &ev); err != nil || ev.Error == "" {
				t.Fatalf("%d with body %q", w.Code, w.Body)
			}
		default:
			t.Fatalf("status %d for %q %q: %s", w.Code, contentType, body, w.Body)
		}
	})
}

// TestPutPlanUnsupportedType checks that a 415 says exactly which header
// to send: curl's --data sends application/x-www-form-urlencoded, in which
// a plan in text form ("50%error", "a+b") does not survive.
func TestPutPlanUnsupportedType(t *testing.T) {
	tests := []struct {
		name, contentType string
	}{
		{"curl --data", "application/x-www-form-urlencoded"},
		{"multipart", "multipart/form-data; boundary=x"},
		{"html", "text/html"},
		{"unparsable", "text/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t)
			w := do(t, h, req{method: "PUT", path: "api/plan", body: "db.query=50%error", header: map[string]string{"Content-Type": tt.contentType}})
			if w.Code != http.StatusUnsupportedMediaType {
				t.Fatalf("status %d, want 415; body %s", w.Code, w.Body)
			}
			msg := decode[errorView](t, w).Error
			for _, want := range []string{`"Content-Type: text/plain"`, `"Content-Type: application/json"`, strconv.Quote(tt.contentType)} {
				if !strings.Contains(msg, want) {
					t.Errorf("415 says %q, which does not name %s", msg, want)
				}
			}
			if len(e.Plan().Rules) != 0 {
				t.Errorf("plan applied: %v", e.Plan())
			}
		})
	}
}

// TestPutPlanIfMatch checks the compare-and-swap of PUT api/plan: the
// ETag of api/plan and api/status is the generation, and If-Match with it
// applies only while the engine is still at that generation.
func TestPutPlanIfMatch(t *testing.T) {
	tests := []struct {
		name    string
		ifMatch func(gen uint64) string // "" sends none
		want    int
		wantErr string
	}{
		{name: "no If-Match", ifMatch: func(uint64) string { return "" }, want: 200},
		{name: "any", ifMatch: func(uint64) string { return "*" }, want: 200},
		{name: "current generation", ifMatch: func(g uint64) string { return `"` + strconv.FormatUint(g, 10) + `"` }, want: 200},
		{name: "stale generation", ifMatch: func(g uint64) string { return `"` + strconv.FormatUint(g-1, 10) + `"` }, want: 412, wantErr: "engine changed"},
		{name: "future generation", ifMatch: func(g uint64) string { return `"` + strconv.FormatUint(g+1, 10) + `"` }, want: 412, wantErr: "engine changed"},
		{name: "unquoted", ifMatch: func(g uint64) string { return strconv.FormatUint(g, 10) }, want: 400, wantErr: "If-Match"},
		{name: "weak", ifMatch: func(g uint64) string { return `W/"` + strconv.FormatUint(g, 10) + `"` }, want: 400, wantErr: "If-Match"},
		{name: "not a number", ifMatch: func(uint64) string { return `"v3"` }, want: 400, wantErr: "If-Match"},
		{name: "two tags", ifMatch: func(g uint64) string { return `"1", "2"` }, want: 400, wantErr: "If-Match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t)
			if err := e.Apply(chaos.MustParsePlan("a=error"), chaos.FromSource("test")); err != nil {
				t.Fatal(err)
			}
			gen := e.Active().Generation
			for _, path := range []string{"api/plan", "api/status"} {
				if tag := do(t, h, req{method: "GET", path: path}).Header().Get("ETag"); tag != `"`+strconv.FormatUint(gen, 10)+`"` {
					t.Fatalf("GET %s: ETag %q, want generation %d", path, tag, gen)
				}
			}
			q := req{method: "PUT", path: "api/plan", body: "b=error", header: map[string]string{"Content-Type": "text/plain"}}
			if v := tt.ifMatch(gen); v != "" {
				q.header["If-Match"] = v
			}
			w := do(t, h, q)
			if w.Code != tt.want {
				t.Fatalf("If-Match %q: %d, want %d; body %s", q.header["If-Match"], w.Code, tt.want, w.Body)
			}
			act := e.Active()
			if tt.want == 200 {
				if act.Plan.String() != "b=error" || w.Header().Get("ETag") != `"`+strconv.FormatUint(gen+1, 10)+`"` {
					t.Errorf("applied: plan %q, ETag %q; want b=error at generation %d", act.Plan, w.Header().Get("ETag"), gen+1)
				}
				return
			}
			ev := decode[errorView](t, w)
			if !strings.Contains(ev.Error, tt.wantErr) {
				t.Errorf("error %q does not say %q", ev.Error, tt.wantErr)
			}
			if tt.want == 412 && (ev.Code != "conflict" || w.Header().Get("ETag") != `"`+strconv.FormatUint(gen, 10)+`"`) {
				t.Errorf("412: code %q, ETag %q; want conflict and the current generation", ev.Code, w.Header().Get("ETag"))
			}
			if act.Plan.String() != "a=error" || act.Generation != gen {
				t.Errorf("a refused PUT changed the engine: %q at generation %d", act.Plan, act.Generation)
			}
		})
	}
}
