package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// TestDirectiveEventsAndStatus proves that a fault a request's directive
// fired names the directive in api/events, and that api/status counts the
// directives accepted and refused.
func TestDirectiveEventsAndStatus(t *testing.T) {
	key := chaos.DirectiveKey{ID: "admin", Secret: []byte(strings.Repeat("a", 32))}
	e := newEngine(t, chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true}}), chaos.WithDirectiveKeys(key))
	h := New(e, WithToken(testToken))
	t.Cleanup(func() { h.Close() })

	if st := decode[map[string]any](t, do(t, h, req{method: "GET", path: "api/status"})); st["directives"] != nil {
		t.Errorf("status before any directive has directives %v, want it left out", st["directives"])
	}
	tok, err := chaos.Directive{ID: "checkout-9", Plan: chaos.MustParsePlan("payments.charge=error"), Expires: time.Now().Add(time.Minute)}.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := e.AcceptDirective(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Point("payments.charge").Inject(ctx)
	_, _ = e.AcceptDirective(context.Background(), "v1.admin.e30.AAAA")

	ev := decode[eventsView](t, do(t, h, req{method: "GET", path: "api/events"}))
	if len(ev.Events) != 1 || ev.Events[0].Directive != "checkout-9" || ev.Events[0].Point != "payments.charge" {
		t.Errorf("api/events = %+v, want one event naming directive checkout-9", ev.Events)
	}
	if page := do(t, h, req{method: "GET", path: ""}).Body.String(); !strings.Contains(page, "directive checkout-9") {
		t.Error("the page's recent faults do not name directive checkout-9")
	}
	st := decode[Status](t, do(t, h, req{method: "GET", path: "api/status"}))
	if st.Directives.Accepted != 1 || st.Directives.Refused[chaos.RefusedSignature] != 1 {
		t.Errorf("status directives = %+v, want 1 accepted and 1 bad signature", st.Directives)
	}
}
