package chaostest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// Directive mints a directive (see [chaos.Directive]) holding plan, signed
// with key and live for a minute, and returns its token; it fails t if the
// plan does not parse or the directive does not sign.
func Directive(t testing.TB, key chaos.DirectiveKey, plan string) string {
	t.Helper()
	p, err := chaos.ParsePlan(plan)
	if err != nil {
		t.Fatalf("chaostest: directive plan: %v", err)
	}
	token, err := chaos.MintDirective(p, key, time.Minute)
	if err != nil {
		t.Fatalf("chaostest: %v", err)
	}
	return token
}

// AttachDirective makes req carry token in its baggage header, as the
// member chaos.DirectiveBaggageKey, for a test that sends a request to a
// service through a client that does not forward directives itself. It
// keeps the header's other members and replaces a directive the header
// already carries.
func AttachDirective(req *http.Request, token string) {
	member := chaos.DirectiveBaggageKey + "=" + token
	var kept []string
	for _, v := range req.Header.Values("Baggage") {
		for m := range strings.SplitSeq(v, ",") {
			key, _, _ := strings.Cut(m, "=")
			if strings.TrimSpace(key) != chaos.DirectiveBaggageKey && strings.TrimSpace(m) != "" {
				kept = append(kept, strings.TrimSpace(m))
			}
		}
	}
	req.Header.Set("Baggage", strings.Join(append(kept, member), ","))
}
