package chaosotel_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaosotel"
)

// TestDirective checks that a fault a directive fires carries the
// directive's id in its span event, and that faultline.directives counts
// the directives accepted and refused, by reason.
func TestDirective(t *testing.T) {
	tp, exp := tracing(t)
	mp, reader := metrics(t)
	key := chaos.DirectiveKey{ID: "otel", Secret: []byte(strings.Repeat("o", 32))}
	e := chaos.New(chaos.WithSeed(1), chaos.WithInstance("payments-1"),
		chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true}}), chaos.WithDirectiveKeys(key))
	instrument(t, e, mp)
	tok, err := chaos.Directive{ID: "checkout-7", Plan: chaos.MustParsePlan("payments.charge=error"),
		Expires: time.Now().Add(time.Minute)}.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	ctx, err = e.AcceptDirective(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Point("payments.charge").Inject(ctx)
	span.End()
	_, _ = e.AcceptDirective(context.Background(), tok[:len(tok)-4]+"AAAA")
	_, _ = e.AcceptDirective(context.Background(), "nonsense")

	spans := exp.GetSpans()
	if len(spans) != 1 || len(spans[0].Events) != 1 {
		t.Fatalf("got %d spans (%v), want 1 with 1 event", len(spans), spans)
	}
	want := map[string]any{
		"faultline.point": "payments.charge", "faultline.fault.kind": "error", "faultline.fault.spec": "error",
		"faultline.rule": int64(0), "faultline.seq": int64(1), "faultline.dry_run": false,
		"faultline.seed": fmt.Sprint(e.Seed()), "faultline.instance": "payments-1",
		"faultline.directive": "checkout-7",
	}
	if diff := cmp.Diff(want, attrMap(spans[0].Events[0].Attributes)); diff != "" {
		t.Errorf("event attributes (-want +got):\n%s", diff)
	}
	checkSums(t, reader, chaosotel.DirectivesMetric, map[string]int64{
		"faultline.directive.result=accepted":      1,
		"faultline.directive.result=bad_signature": 1,
		"faultline.directive.result=malformed":     1,
	})
}
