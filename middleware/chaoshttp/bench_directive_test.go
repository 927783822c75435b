package chaoshttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// The directive benchmarks measure what request-scoped faults add to the
// middleware and the transport: a request without a baggage header (the
// common case, against BenchmarkHandlerBare and BenchmarkMiddlewareDisabled
// in the same run), one whose baggage carries other members only, one with
// a valid directive (verified once, then found by its token), and the
// transport's forward of a directive to the next hop.

var benchDirectiveKey = chaos.DirectiveKey{ID: "bench", Secret: []byte(strings.Repeat("b", 32))}

func benchDirectiveEngine() *chaos.Engine {
	return chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true, MaxUses: 1 << 62, MaxTTL: 2 * time.Hour}}),
		chaos.WithDirectiveKeys(benchDirectiveKey))
}

func benchDirectiveToken(b *testing.B, plan string) string {
	tok, err := chaos.MintDirective(chaos.MustParsePlan(plan), benchDirectiveKey, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

func withBaggage(v string) func() *http.Request {
	return func() *http.Request {
		r := benchRequest()
		r.Header.Set("Baggage", v)
		return r
	}
}

func BenchmarkMiddlewareDirective(b *testing.B) {
	e := benchDirectiveEngine()
	h := Middleware(e)(benchHandler)
	other := benchDirectiveToken(b, "elsewhere=error")
	b.Run("no-baggage", func(b *testing.B) { serve(b, h, benchRequest, false) })
	b.Run("other-members", func(b *testing.B) { serve(b, h, withBaggage("userId=alice,session=42"), false) })
	b.Run("directive-elsewhere", func(b *testing.B) { serve(b, h, withBaggage("userId=alice,faultline="+other), false) })
	b.Run("directive-elsewhere-parallel", func(b *testing.B) { serve(b, h, withBaggage("faultline="+other), true) })
	b.Run("directive-refused", func(b *testing.B) {
		serve(b, h, withBaggage("faultline="+other[:len(other)-4]+"AAAA"), false)
	})
}

// nopTransport answers every request with an empty 200 at once.
type nopTransport struct{}

func (nopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req, Header: http.Header{}}, nil
}

func BenchmarkTransportDirective(b *testing.B) {
	e := benchDirectiveEngine()
	tr := Transport(nopTransport{}, e)
	plain := httptest.NewRequest("GET", "http://payments.internal/charge", nil)
	ctx, err := e.AcceptDirective(context.Background(), benchDirectiveToken(b, "elsewhere=error"))
	if err != nil {
		b.Fatal(err)
	}
	directed := plain.WithContext(ctx)
	run := func(b *testing.B, rt http.RoundTripper, req *http.Request) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nopTransport{}, plain) })
	b.Run("no-directive", func(b *testing.B) { run(b, tr, plain) })
	b.Run("forward", func(b *testing.B) { run(b, tr, directed) })
}
