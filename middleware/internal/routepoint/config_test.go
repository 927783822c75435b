package routepoint

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// TestCutLabel checks that values up to chaos.MaxLabelValue are kept as
// they are, and longer ones cut to that length and copied, so that the
// label does not keep the header alive.
func TestCutLabel(t *testing.T) {
	long := strings.Repeat("x", chaos.MaxLabelValue+10)
	tests := []struct {
		name  string
		in    string
		want  string
		moved bool // the result is a copy
	}{
		{"empty", "", "", false},
		{"short", "acme", "acme", false},
		{"at the bound", long[:chaos.MaxLabelValue], long[:chaos.MaxLabelValue], false},
		{"one over", long[:chaos.MaxLabelValue+1], long[:chaos.MaxLabelValue], true},
		{"far over", long, long[:chaos.MaxLabelValue], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CutLabel(tt.in)
			if got != tt.want {
				t.Fatalf("CutLabel: %d bytes, want %d", len(got), len(tt.want))
			}
			same := unsafe.StringData(got) == unsafe.StringData(tt.in)
			if tt.moved == same {
				t.Errorf("CutLabel shares the input's memory: %v, want %v", same, !tt.moved)
			}
		})
	}
}

// TestLabels checks the labels gathered from a request's header, in the
// order of the options, with absent headers left out and values cut.
func TestLabels(t *testing.T) {
	long := strings.Repeat("t", chaos.MaxLabelValue*2)
	tests := []struct {
		name   string
		opts   []Option
		method string
		header http.Header
		want   []chaos.Label
	}{
		{"method only", nil, "POST", nil, []chaos.Label{{Key: "method", Value: "POST"}}},
		{
			"a header, made canonical",
			[]Option{WithHeaderLabel("x-tenant", "tenant")},
			"GET", http.Header{"X-Tenant": {"acme", "other"}},
			[]chaos.Label{{Key: "method", Value: "GET"}, {Key: "tenant", Value: "acme"}},
		},
		{
			"an absent header is no label",
			[]Option{WithHeaderLabel("X-Tenant", "tenant"), WithHeaderLabel("X-Region", "region")},
			"BREW", http.Header{"X-Region": {"eu"}},
			[]chaos.Label{{Key: "method", Value: "OTHER"}, {Key: "region", Value: "eu"}},
		},
		{
			"a long value is cut",
			[]Option{WithHeaderLabel("X-Tenant", "tenant")},
			"GET", http.Header{"X-Tenant": {long}},
			[]chaos.Label{{Key: "method", Value: "GET"}, {Key: "tenant", Value: long[:chaos.MaxLabelValue]}},
		},
		{
			"empty header or label does nothing",
			[]Option{WithHeaderLabel("", "tenant"), WithHeaderLabel("X-Tenant", ""), nil},
			"GET", http.Header{"X-Tenant": {"acme"}},
			[]chaos.Label{{Key: "method", Value: "GET"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig(tt.opts...)
			got := c.Labels(nil, MethodIndex(tt.method), tt.header)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Labels = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		max     int
		exempt  []string
		through []string
	}{
		{"defaults", nil, DefaultMaxPoints, []string{"/debug/faultline", "/debug/faultline/", "/debug/faultline/api"}, []string{"/debug", "/debug/faultlines", "/"}},
		{"zero is the default", []Option{WithMaxPoints(7), WithMaxPoints(0)}, DefaultMaxPoints, nil, nil},
		{"negative is no bound", []Option{WithMaxPoints(-1)}, -1, nil, nil},
		{"a prefix with or without its slash", []Option{WithExempt("x", "/ops/", "", "/health")}, DefaultMaxPoints,
			[]string{"/ops", "/ops/x", "/health", "/health/"}, []string{"/opsx", "/healthz", "/api"}},
		{"the root exempts every path", []Option{WithExempt("x", "/")}, DefaultMaxPoints, []string{"/", "/a/b", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig(tt.opts...)
			if c.MaxPoints != tt.max {
				t.Errorf("MaxPoints = %d, want %d", c.MaxPoints, tt.max)
			}
			for _, p := range tt.exempt {
				if !c.Exempted(p) {
					t.Errorf("%q is not exempt", p)
				}
			}
			for _, p := range tt.through {
				if c.Exempted(p) {
					t.Errorf("%q is exempt", p)
				}
			}
		})
	}
}

func TestWithExemptPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "chaosfoo: WithExempt prefix \"ops\"") {
			t.Errorf("recovered %v", r)
		}
	}()
	WithExempt("chaosfoo", "ops")
}

func TestInjectedValue(t *testing.T) {
	tests := []struct {
		kind  faults.Kind
		point string
		want  string
	}{
		{faults.KindStatus, "GET /x", `status; point="GET /x"`},
		{faults.KindCorrupt, `GET /"a"\b`, `corrupt; point="GET /\"a\"\\b"`},
		{faults.KindError, "GET /\x00\t\x7f", "error; point=\"GET /?\t?\""},
	}
	for _, tt := range tests {
		if got := InjectedValue(tt.kind, tt.point); got != tt.want {
			t.Errorf("InjectedValue(%v, %q) = %q, want %q", tt.kind, tt.point, got, tt.want)
		}
	}
}

func TestInvert(t *testing.T) {
	p := []byte(strings.Repeat("ab\x00\xff", 20000)) // longer than one XOR chunk
	got := Invert([]byte("head"), p)
	if string(got[:4]) != "head" || len(got) != 4+len(p) {
		t.Fatalf("Invert kept %q and made %d bytes", got[:4], len(got))
	}
	for i, c := range got[4:] {
		if c != ^p[i] {
			t.Fatalf("byte %d = %#x, want %#x", i, c, ^p[i])
		}
	}
	q := slices.Clone(p)
	Invert(q[:0], q)
	if string(Invert(nil, q)) != string(p) {
		t.Error("inverting in place and back is not the identity")
	}
}

func TestBodyAllowed(t *testing.T) {
	for code, want := range map[int]bool{100: false, 200: true, 204: false, 304: false, 404: true, 503: true} {
		if got := BodyAllowed(code); got != want {
			t.Errorf("BodyAllowed(%d) = %v", code, got)
		}
	}
}

// TestServer checks the decision path echo and gin share: exempt paths,
// unarmed points and firing rules, and that Armed and a request that does
// not fire allocate nothing.
func TestServer(t *testing.T) {
	e := chaos.New()
	s := NewServer(e, WithHeaderLabel("X-Tenant", "tenant"), WithExempt("x", "/health"))
	req := func(method, path string) *http.Request {
		r, err := http.NewRequestWithContext(context.Background(), method, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("X-Tenant", "acme")
		return r
	}
	if s.Armed() {
		t.Fatal("armed before a plan")
	}
	if n := testing.AllocsPerRun(100, func() { _ = s.Armed() }); n != 0 {
		t.Errorf("Armed allocates %v times", n)
	}
	if err := e.Apply(chaos.MustParsePlan(`"GET /orders/:id"=status(503)[label.tenant=acme]`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		r     *http.Request
		route string
		fired bool
	}{
		{"the named point fires", req("GET", "/orders/1"), "/orders/:id", true},
		{"another method does not", req("POST", "/orders/1"), "/orders/:id", false},
		{"an exempt path does not", req("GET", "/health"), "/orders/:id", false},
		{"an unmatched route does not", req("GET", "/nope"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, fired := s.Decide(tt.r, tt.route)
			if fired != tt.fired || d.Fired() != tt.fired {
				t.Fatalf("fired = %v (%v), want %v", fired, d.Fired(), tt.fired)
			}
			if !fired {
				if n := testing.AllocsPerRun(100, func() { s.Decide(tt.r, tt.route) }); n != 0 {
					t.Errorf("a request that does not fire allocates %v times", n)
				}
			}
			if fired && (d.Point() != "GET /orders/:id" || d.Kind() != faults.KindStatus) {
				t.Errorf("decision at %q of kind %v", d.Point(), d.Kind())
			}
		})
	}
}
