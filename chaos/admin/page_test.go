package admin

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

func TestPage(t *testing.T) {
	e, h := newTest(t, WithSourceStatus(func() any { return map[string]string{"source": "env"} }))
	p := chaos.MustParsePlan(`db.query=3*error(boom);"<script>x</script>"=abort`)
	p.Version = "v9"
	if err := e.Apply(p, chaos.FromSource("env")); err != nil {
		t.Fatal(err)
	}
	fire(e, "db.query", 5)
	fire(e, "<script>x</script>", 1)

	w := do(t, h, req{method: "GET", path: ""})
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{
		`id="kill"`, `id="status" class="status armed" data-state="armed">armed<`,
		`<table id="points">`, `<code>db.query</code>`, `id="source">env<`, `id="version">v9<`,
		`<form method="post" action="kill">`, `<form method="post" action="plan">`,
		`href="api/stats"`, `id="runner"`, `&#34;source&#34;: &#34;env&#34;`,
		`error(boom)`, `error&nbsp;3`,
		`&lt;script&gt;x&lt;/script&gt;`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("page carries an unescaped point name")
	}
	// Every link and form target is relative, so the page works under a
	// prefix.
	for _, m := range regexp.MustCompile(`(?:href|action)="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		if u, err := url.Parse(m[1]); err != nil || u.IsAbs() || strings.HasPrefix(m[1], "/") {
			t.Errorf("link %q is not relative", m[1])
		}
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "style-src 'sha256-"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if w.Header().Get("X-Frame-Options") != "DENY" {
		t.Error("page may be framed")
	}
}

func TestPageKill(t *testing.T) {
	e, h := newTest(t)
	if err := e.Apply(chaos.MustParsePlan("db.query=error")); err != nil {
		t.Fatal(err)
	}
	cookie, csrf := login(t, h)
	w := do(t, h, req{method: "POST", path: "kill", token: "-", cookie: cookie, header: formHeader, body: "csrf=" + url.QueryEscape(csrf)})
	if w.Code != 303 || w.Header().Get("Location") != "./" {
		t.Fatalf("kill: %d to %q, want 303 to ./", w.Code, w.Header().Get("Location"))
	}
	if !e.Disabled() {
		t.Fatal("engine not disabled")
	}
	page := do(t, h, req{method: "GET", path: "", token: "-", cookie: cookie}).Body.String()
	if !strings.Contains(page, `data-state="disabled">disabled<`) || !strings.Contains(page, "kill switch is thrown") {
		t.Errorf("page after the kill switch does not say disabled")
	}
}

func TestPagePlanForm(t *testing.T) {
	tests := []struct {
		name, plan, version string
		want                int
		wantPlan            string
		wantVersion         string
		wantOnPage          []string
	}{
		{name: "text", plan: "db.query=10%error(x)", version: "v3", want: 303, wantPlan: "db.query=10%error(x)", wantVersion: "v3"},
		{name: "json", plan: `{"version":"j1","rules":[{"point":"a","fault":"abort"}]}`, version: "ignored", want: 303, wantPlan: "a=abort", wantVersion: "j1"},
		{name: "empty", plan: "", want: 303, wantPlan: ""},
		{
			name: "bad", plan: "db.query=150%error;x=explode", version: "v4", want: 422, wantPlan: "keep=error",
			wantOnPage: []string{`id="problems"`, "<code>rules[0].rate</code>: 1.5 is outside [0,1]", "<code>rules[1]</code>", "db.query=150%error;x=explode</textarea>", `value="v4"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, h := newTest(t)
			if err := e.Apply(chaos.MustParsePlan("keep=error")); err != nil {
				t.Fatal(err)
			}
			cookie, csrf := login(t, h)
			form := url.Values{"csrf": {csrf}, "plan": {tt.plan}, "version": {tt.version}}
			w := do(t, h, req{method: "POST", path: "plan", token: "-", cookie: cookie, header: formHeader, body: form.Encode()})
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			if act := e.Active(); act.Plan.String() != tt.wantPlan || (tt.want == 303 && (act.Plan.Version != tt.wantVersion || act.Source != "admin")) {
				t.Errorf("active plan %q version %q from %q, want %q version %q", act.Plan, act.Plan.Version, act.Source, tt.wantPlan, tt.wantVersion)
			}
			for _, s := range tt.wantOnPage {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("page lacks %s", s)
				}
			}
		})
	}
}
