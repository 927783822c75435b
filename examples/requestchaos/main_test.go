package main

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/faultline-go/faultline/chaos"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the command's demo and proves what it claims: the checkout
// that carries the directive waits at least 300ms at payments, the plain
// and the forged ones do not wait at all there and take less than 300ms in
// all; payments' admin API names the directive; and every hop, the middle
// one included, accepted the real directive once and refused the forged
// one for its signature.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := run(t.Context(), &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("output:\n%s", &out)
	for _, c := range []struct {
		name string
		got  Checkout
		slow bool
	}{
		{"with the directive", res.Directed, true},
		{"without", res.Plain, false},
		{"forged", res.Forged, false},
	} {
		if c.got.Status != 200 {
			t.Errorf("%s: status %d %q, want 200", c.name, c.got.Status, c.got.Body)
		}
		if slow := c.got.Charge >= injected; slow != c.slow {
			t.Errorf("%s: charge took %v at payments, want ≥ %v: %v", c.name, c.got.Charge, injected, c.slow)
		}
		if slow := c.got.Latency >= injected; slow != c.slow {
			t.Errorf("%s: checkout took %v, want ≥ %v: %v", c.name, c.got.Latency, injected, c.slow)
		}
	}
	if len(res.Events) != 1 || res.Events[0].Point != "payments.charge" || res.Events[0].Directive != directiveID {
		t.Errorf("payments events = %+v, want one at payments.charge naming %q", res.Events, directiveID)
	}
	for _, name := range []string{"gateway", "orders", "payments"} {
		st := res.Directives[name]
		if st.Accepted != 1 || st.Refused[chaos.RefusedSignature] != 1 || len(st.Refused) != 1 {
			t.Errorf("%s: directives %+v, want 1 accepted and 1 refused as %s", name, st, chaos.RefusedSignature)
		}
	}
	if err := res.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
	if !strings.Contains(out.String(), `directive "`+directiveID+`"`) {
		t.Errorf("the output names no fault of %q", directiveID)
	}
}

// TestDirectiveAtEachHop proves that a directive's rule applies at the hop
// whose engine owns the point it names, and at no other, whether that is
// the gateway's middleware, orders' handler or gRPC client, or payments'
// handler; that one naming no point of the services changes nothing; and
// that every hop refuses, with the reason's count, a directive the
// production policy does not allow.
func TestDirectiveAtEachHop(t *testing.T) {
	key, err := chaos.NewDirectiveKey("test")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		plan    string
		issuer  string        // "" means issuer
		ttl     time.Duration // 0 means a minute
		faultAt string        // the service whose engine fires, "" for none
		refused string        // the reason every hop refuses it for, "" for accepted
	}{
		{name: "gateway middleware", plan: `"POST /checkout"=delay(300ms)`, faultAt: "gateway"},
		{name: "orders handler", plan: "orders.create=delay(300ms)", faultAt: "orders"},
		{name: "orders gRPC client", plan: `"grpc.client /payments.Payments/Charge"=delay(300ms)`, faultAt: "orders"},
		{name: "payments gRPC server", plan: `"/payments.Payments/Charge"=delay(300ms)`, faultAt: "payments"},
		{name: "payments handler", plan: "payments.charge=delay(300ms)", faultAt: "payments"},
		{name: "no point of the services", plan: "inventory.get=delay(300ms)"},
		{name: "lives too long", plan: "payments.charge=delay(300ms)", ttl: 2 * time.Minute, refused: chaos.RefusedTTL},
		{name: "another issuer", plan: "payments.charge=delay(300ms)", issuer: "mallory", refused: chaos.RefusedIssuer},
		{name: "latency above the policy", plan: "payments.charge=delay(5s)", refused: chaos.RefusedPlan},
		{name: "a kind the policy refuses", plan: "payments.charge=panic", refused: chaos.RefusedPlan},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := startServices(key, "admin-token")
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := svc.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			now := time.Now()
			d := chaos.Directive{ID: fmt.Sprintf("case-%d", i), Issuer: cmp.Or(tt.issuer, issuer),
				Plan: chaos.MustParsePlan(tt.plan), IssuedAt: now, Expires: now.Add(cmp.Or(tt.ttl, time.Minute))}
			token, err := d.Sign(key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.checkout(t.Context(), token)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != 200 {
				t.Errorf("status %d %q, want 200", got.Status, got.Body)
			}
			if slow := got.Latency >= injected; slow != (tt.faultAt != "") {
				t.Errorf("checkout took %v, want ≥ %v: %v", got.Latency, injected, tt.faultAt != "")
			}
			for _, s := range []service{svc.Gateway, svc.Orders, svc.Payments} {
				evs, err := svc.events(t.Context(), s)
				if err != nil {
					t.Fatal(err)
				}
				want := 0
				if s.Name == tt.faultAt {
					want = 1
				}
				if len(evs) != want || want == 1 && evs[0].Directive != d.ID {
					t.Errorf("%s events = %+v, want %d naming %q", s.Name, evs, want, d.ID)
				}
				st := s.Engine.DirectiveStats()
				if tt.refused == "" && (st.Accepted != 1 || len(st.Refused) != 0) {
					t.Errorf("%s directives %+v, want 1 accepted", s.Name, st)
				}
				if tt.refused != "" && (st.Accepted != 0 || st.Refused[tt.refused] != 1 || len(st.Refused) != 1) {
					t.Errorf("%s directives %+v, want 1 refused as %s", s.Name, st, tt.refused)
				}
			}
		})
	}
}
