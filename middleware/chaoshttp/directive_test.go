package chaoshttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/resilience"
)

var directiveKey = chaos.DirectiveKey{ID: "http", Secret: []byte(strings.Repeat("h", 32))}

func directiveEngine() *chaos.Engine {
	return chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true}}),
		chaos.WithDirectiveKeys(directiveKey))
}

func directiveToken(t *testing.T, plan string) string {
	t.Helper()
	tok, err := chaos.MintDirective(chaos.MustParsePlan(plan), directiveKey, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// hop is one service of a chain: it serves GET /, evaluates its own point
// with the request's context, and, unless it is the last, calls the next
// service through client.
type hop struct {
	srv     *httptest.Server
	engine  *chaos.Engine
	baggage chan []string // the baggage headers each request brought
}

func newHop(t *testing.T, e *chaos.Engine, point string, next *hop, client func(http.RoundTripper) http.RoundTripper) *hop {
	h := &hop{engine: e, baggage: make(chan []string, 16)}
	p := e.Point(point)
	var hc *http.Client
	if next != nil {
		hc = &http.Client{Transport: client(next.srv.Client().Transport)}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		h.baggage <- r.Header.Values("Baggage")
		if err := p.Inject(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if hc == nil {
			io.WriteString(w, point)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), "GET", next.srv.URL+"/", nil)
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		w.WriteHeader(resp.StatusCode)
		w.Write(append([]byte(point+">"), b...))
	})
	h.srv = httptest.NewServer(chaoshttp.Middleware(e)(mux))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hop) last() []string {
	var got []string
	for {
		select {
		case got = <-h.baggage:
		default:
			return got
		}
	}
}

func getWithBaggage(t *testing.T, url, baggage string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if baggage != "" {
		req.Header.Set("Baggage", baggage)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDirectiveAcrossServices proves that a directive reaches every hop of
// gateway → orders → payments, through chaoshttp.Transport and
// resilience.Transport, unchanged, even past a hop whose policy does not
// allow request-scoped faults; that the last hop's point fires on it; and
// that the same request without it is untouched.
func TestDirectiveAcrossServices(t *testing.T) {
	clients := []struct {
		name string
		wrap func(e *chaos.Engine) func(http.RoundTripper) http.RoundTripper
	}{
		{"chaoshttp.Transport", func(e *chaos.Engine) func(http.RoundTripper) http.RoundTripper {
			return func(base http.RoundTripper) http.RoundTripper { return chaoshttp.Transport(base, e) }
		}},
		{"resilience.Transport", func(*chaos.Engine) func(http.RoundTripper) http.RoundTripper {
			return func(base http.RoundTripper) http.RoundTripper {
				return resilience.Transport(base, &resilience.Retry{})
			}
		}},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			payments := newHop(t, directiveEngine(), "payments.charge", nil, nil)
			orders := newHop(t, chaos.New(), "orders.create", payments, c.wrap(chaos.New())) // does not allow directives
			gatewayEngine := directiveEngine()
			gateway := newHop(t, gatewayEngine, "gateway.route", orders, c.wrap(gatewayEngine))

			tok := directiveToken(t, "payments.charge=error(declined)")
			code, body := getWithBaggage(t, gateway.srv.URL, "user=alice,"+chaos.DirectiveBaggageKey+"="+tok)
			if code != http.StatusInternalServerError || !strings.Contains(body, "declined") {
				t.Errorf("with the directive: %d %q, want payments to fail", code, body)
			}
			for name, h := range map[string]*hop{"orders": orders, "payments": payments} {
				got := h.last()
				if !strings.Contains(strings.Join(got, ","), chaos.DirectiveBaggageKey+"="+tok) {
					t.Errorf("%s got baggage %q, want the token unchanged", name, got)
				}
			}
			if code, body := getWithBaggage(t, gateway.srv.URL, "user=alice"); code != 200 || body != "gateway.route>orders.create>payments.charge" {
				t.Errorf("without it: %d %q", code, body)
			}
			if got := payments.engine.Stats().Directives; got.Accepted != 1 {
				t.Errorf("payments: %+v, want 1 accepted", got)
			}
			if got := orders.engine.Stats().Directives; got.Refused[chaos.RefusedNotAllowed] != 1 {
				t.Errorf("orders: %+v, want 1 not allowed", got)
			}
		})
	}
}

// TestDirectiveTransport proves that the transport forwards the token of
// its request's context, never replaces a member the request already
// carries, and that a client point fires on a directive its engine
// accepted.
func TestDirectiveTransport(t *testing.T) {
	seen := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("Baggage")
	}))
	defer srv.Close()
	e := directiveEngine()
	client := &http.Client{Transport: chaoshttp.Transport(srv.Client().Transport, e)}
	host := strings.TrimPrefix(srv.URL, "http://")
	tok := directiveToken(t, `"http.client `+host+`"=status(418)`)
	do := func(ctx context.Context, baggage string) int {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		if baggage != "" {
			req.Header.Set("Baggage", baggage)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Carried but not accepted here: forwarded, no fault.
	if code := do(chaos.WithDirectiveToken(context.Background(), tok), ""); code != 200 {
		t.Errorf("forwarded only: %d, want 200", code)
	}
	if got := <-seen; got != chaos.DirectiveBaggageKey+"="+tok {
		t.Errorf("baggage = %q, want the token", got)
	}
	// The request's own member wins.
	if code := do(chaos.WithDirectiveToken(context.Background(), tok), chaos.DirectiveBaggageKey+"=mine"); code != 200 {
		t.Errorf("own member: %d", code)
	}
	if got := <-seen; got != chaos.DirectiveBaggageKey+"=mine" {
		t.Errorf("baggage = %q, want the request's own member kept", got)
	}
	// Accepted here: the client's point fires.
	ctx, err := e.AcceptDirective(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if code := do(ctx, ""); code != 418 {
		t.Errorf("accepted: %d, want 418 from the client point", code)
	}
}

// TestDirectiveMalformedBaggage proves that baggage that does not parse,
// or a member that is not a token, is counted as malformed and never fails
// the request or reaches the next hop.
func TestDirectiveMalformedBaggage(t *testing.T) {
	e := directiveEngine()
	var forwarded string
	next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forwarded = r.Header.Get("Baggage")
	}))
	defer next.Close()
	client := &http.Client{Transport: chaoshttp.Transport(next.Client().Transport, e)}
	srv := httptest.NewServer(chaoshttp.Middleware(e)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", next.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		resp.Body.Close()
	})))
	defer srv.Close()
	for _, baggage := range []string{
		chaos.DirectiveBaggageKey + "=a b",           // not baggage
		chaos.DirectiveBaggageKey + "=x%2Cother%3D1", // decodes to "x,other=1", not a token
		chaos.DirectiveBaggageKey + "=" + strings.Repeat("A", 9000),
	} {
		forwarded = "unset"
		if code, body := getWithBaggage(t, srv.URL, baggage); code != 200 {
			t.Errorf("baggage %.40q: %d %q, want 200", baggage, code, body)
		}
		if forwarded != "" {
			t.Errorf("baggage %.40q forwarded %.60q, want nothing", baggage, forwarded)
		}
	}
	if got := e.Stats().Directives.Refused[chaos.RefusedMalformed]; got != 3 {
		t.Errorf("refused %d as malformed, want 3 (%+v)", got, e.Stats().Directives)
	}
}
