package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/google/go-cmp/cmp"
)

// serveClient mounts h under /debug/faultline/ on a loopback server and
// returns a Client of it with token; the server closes at cleanup.
func serveClient(t *testing.T, h http.Handler, token string) *Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL+"/debug/faultline", token, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		base    string
		want    string // URL(); "" when NewClient must fail
		wantErr string
	}{
		{base: "http://svc:8080/debug/faultline/", want: "http://svc:8080/debug/faultline/"},
		{base: "http://svc:8080/debug/faultline", want: "http://svc:8080/debug/faultline/"},
		{base: "https://svc.example", want: "https://svc.example/"},
		{base: "http://[::1]:9/x%2Fy", want: "http://[::1]:9/x%2Fy/"},
		{base: "svc:8080/debug", wantErr: "not an absolute http"},
		{base: "/debug/faultline/", wantErr: "not an absolute http"},
		{base: "ftp://svc/", wantErr: "not an absolute http"},
		{base: "http:///path", wantErr: "no host"},
		{base: "http://svc/debug/?x=1", wantErr: "query"},
		{base: "http://svc/%zz", wantErr: "invalid URL escape"},
		{base: "", wantErr: "not an absolute http"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			c, err := NewClient(tt.base, "tok")
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewClient(%q) = %v, want an error with %q", tt.base, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.URL() != tt.want {
				t.Errorf("URL() = %q, want %q", c.URL(), tt.want)
			}
		})
	}
}

// TestClient drives a real handler on loopback through every call of the
// client, and checks each answer against the engine itself.
func TestClient(t *testing.T) {
	e, h := newTest(t)
	c := serveClient(t, h, testToken)
	ctx := t.Context()

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "armed" || st.Armed || st.Instance != "test-1" || st.Seed != e.Seed() || st.Generation != e.Active().Generation {
		t.Errorf("Status before any plan = %+v", st)
	}

	p := chaos.MustParsePlan("db.query=2*error(timeout);http.*=10%delay(5ms)")
	p.Version = "v3"
	got, err := c.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if act := e.Active(); !act.Plan.Equal(p) || act.Plan.Version != "v3" || act.Source != "admin" {
		t.Errorf("engine after Apply: %+v, want %v from admin", act, p)
	}
	if !got.Plan.Equal(p) || got.Text != p.String() || got.Generation != e.Active().Generation {
		t.Errorf("Apply answered %+v", got)
	}
	if st, err := c.Status(ctx); err != nil || !st.Armed || st.Source != "admin" {
		t.Errorf("Status after Apply = %+v, %v; want armed by admin", st, err)
	}

	fire(e, "db.query", 5)
	stats, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.Stats(), stats); diff != "" {
		t.Errorf("Stats (-engine +client):\n%s", diff)
	}

	read, err := c.Plan(ctx)
	if err != nil || !read.Plan.Equal(p) || read.Generation != got.Generation {
		t.Errorf("Plan = %+v, %v; want what Apply answered", read, err)
	}

	killed, err := c.Kill(ctx, "game day x: stop condition")
	if err != nil || !killed.Disabled || !e.Disabled() || !strings.HasPrefix(killed.DisabledReason, "admin: ") ||
		!strings.HasSuffix(killed.DisabledReason, ": game day x: stop condition") {
		t.Fatalf("Kill = %+v, %v; engine disabled %v", killed, err, e.Disabled())
	}
	_, err = c.Apply(ctx, p)
	var ae *APIError
	if !errors.Is(err, chaos.ErrDisabled) || !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict {
		t.Errorf("Apply while killed: %v, want a 409 matching chaos.ErrDisabled", err)
	}
	if st, err := c.Status(ctx); err != nil || st.Armed || st.Status != "disabled" {
		t.Errorf("Status while killed = %+v, %v; want disabled, not armed", st, err)
	}
	rearmed, err := c.Rearm(ctx)
	if err != nil || rearmed.Disabled || e.Disabled() || rearmed.RearmedBy == "" {
		t.Errorf("Rearm = %+v, %v", rearmed, err)
	}
}

// TestClientApplyIf checks the compare-and-swap of ApplyIf: a plan applies
// at the generation read, and is refused with chaos.ErrConflict, changing
// nothing, once anyone else changed the engine.
func TestClientApplyIf(t *testing.T) {
	e, h := newTest(t)
	c := serveClient(t, h, testToken)
	ctx := t.Context()
	read, err := c.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := chaos.MustParsePlan("a=error")
	got, err := c.ApplyIf(ctx, first, read.Generation)
	if err != nil || got.Generation != read.Generation+1 || !e.Plan().Equal(first) {
		t.Fatalf("ApplyIf at the generation read: %+v, %v; want the plan at generation %d", got, err, read.Generation+1)
	}
	if err := e.Apply(first, chaos.FromSource("someone else")); err != nil {
		t.Fatal(err)
	}
	_, err = c.ApplyIf(ctx, chaos.MustParsePlan("b=error"), got.Generation)
	var ae *APIError
	if !errors.Is(err, chaos.ErrConflict) || !errors.As(err, &ae) || ae.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("ApplyIf at a stale generation: %v, want a 412 matching chaos.ErrConflict", err)
	}
	if errors.Is(err, chaos.ErrDisabled) || errors.Is(err, chaos.ErrInvalidPlan) {
		t.Errorf("412 %v matches another sentinel", err)
	}
	if !e.Plan().Equal(first) {
		t.Errorf("a refused ApplyIf changed the plan to %v", e.Plan())
	}
	// The kill switch refuses before the generation is compared.
	e.Disable("kill")
	_, err = c.ApplyIf(ctx, first, e.Active().Generation)
	if !errors.Is(err, chaos.ErrDisabled) {
		t.Errorf("ApplyIf while killed: %v, want chaos.ErrDisabled", err)
	}
}

// TestClientErrors checks the error of each kind of refusal: which
// sentinel it matches, its status and its problems.
func TestClientErrors(t *testing.T) {
	_, h := newTest(t)
	c := serveClient(t, h, testToken)
	strict := New(chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.ProductionPolicy())), WithToken(testToken))
	t.Cleanup(func() { strict.Close() })
	cStrict := serveClient(t, strict, testToken)
	wrongToken := serveClient(t, h, "not-the-token")
	off := serveClient(t, New(chaos.New()), "")
	bad := chaos.MustParsePlan("a=error;b=error")
	bad.Rules[1].Rate, bad.Rules[1].Times = 2, -1

	tests := []struct {
		name      string
		call      func() error
		status    int
		is        error // nil: matches none of the sentinels
		wantPaths []string
	}{
		{"invalid plan", func() error { _, err := c.Apply(t.Context(), bad); return err }, 422, chaos.ErrInvalidPlan, []string{"rules[1].rate", "rules[1].times"}},
		{"refused by policy", func() error {
			_, err := cStrict.Apply(t.Context(), chaos.MustParsePlan("a=panic(x)"))
			return err
		}, 422, chaos.ErrRefused, []string{"rules[0].fault.kind", "rules[0].rate"}},
		{"wrong token", func() error { _, err := wrongToken.Status(t.Context()); return err }, 401, nil, nil},
		{"no token configured", func() error { _, err := off.Plan(t.Context()); return err }, 404, nil, nil},
	}
	sentinels := []error{chaos.ErrInvalidPlan, chaos.ErrRefused, chaos.ErrDisabled, chaos.ErrConflict}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tt.status {
				t.Fatalf("error %v, want an *APIError with status %d", err, tt.status)
			}
			for _, s := range sentinels {
				if errors.Is(err, s) != (s == tt.is) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, !(s == tt.is))
				}
			}
			var paths []string
			for _, p := range ae.Problems {
				paths = append(paths, p.Path)
			}
			if diff := cmp.Diff(tt.wantPaths, paths); diff != "" {
				t.Errorf("problem paths (-want +got):\n%s", diff)
			}
			if ae.Message == "" || !strings.Contains(err.Error(), fmt.Sprint(tt.status)) {
				t.Errorf("error %q has no message or no status", err)
			}
		})
	}
}

// TestClientStatsPages reads more points than one page of api/stats holds.
func TestClientStatsPages(t *testing.T) {
	e, h := newTest(t)
	const n = 2*DefaultStatsLimit + 17
	for i := range n {
		e.Point(fmt.Sprintf("p%05d", i))
	}
	c := serveClient(t, h, testToken)
	got, err := c.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.Stats(), got); diff != "" {
		t.Errorf("Stats over %d points (-engine +client):\n%s", n, diff)
	}
}

// TestClientArmedShare checks Status.Armed on two instances of a plan
// whose only rule applies on a share of instances: on 0% it is armed
// nowhere.
func TestClientArmedShare(t *testing.T) {
	tests := []struct {
		plan  string
		armed bool
	}{
		{"a=error", true},
		{"a=error[instances=100%]", true},
		{"a=error[instances=0%]", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.plan, func(t *testing.T) {
			e := newEngine(t, chaos.WithInstance("i-1"))
			h := New(e, WithToken(testToken))
			t.Cleanup(func() { h.Close() })
			c := serveClient(t, h, testToken)
			if _, err := c.Apply(t.Context(), chaos.MustParsePlan(tt.plan)); err != nil {
				t.Fatal(err)
			}
			st, err := c.Status(t.Context())
			if err != nil || st.Armed != tt.armed || st.Armed != e.Armed() {
				t.Errorf("Status.Armed = %v (%v), want %v", st.Armed, err, tt.armed)
			}
		})
	}
}

// TestClientTimeout checks that a handler that does not answer fails the
// call when the context ends, not later.
func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := NewClient(srv.URL, testToken, WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Kill(ctx, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Kill on a handler that never answers: %v, want context.DeadlineExceeded", err)
	}
}
