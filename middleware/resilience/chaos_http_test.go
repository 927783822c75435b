package resilience_test

// Chaos-driven tests over real loopback HTTP: faults injected by chaoshttp at
// the server (Middleware) or the client (Transport), a resilient client built
// with resilience.Transport, and the same seeded plan replayed for a raw client
// and for the resilient one.

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// httpCalls is how many requests each client makes: small, because these
// tests run on a real network and in real time.
const httpCalls = 100

// httpChaos describes one raw-versus-resilient comparison.
type httpChaos struct {
	engine *chaos.Engine
	plan   chaos.Plan
	// point is the name of the point that decides every request's fault.
	point string
	// url is where the requests go.
	url string
	// inner is the raw client's transport, and what the resilient one wraps.
	inner http.RoundTripper
	// result maps a decision of point to what one attempt sees: "200",
	// another status, or an error class (see classify).
	result func(chaos.Decision) string
	// post reports whether request i is a POST without an idempotency key,
	// which the resilient client must not send twice. Nil means none is.
	post func(i int) bool
}

func (c httpChaos) isPost(i int) bool { return c.post != nil && c.post(i) }

// The resilient client's chain. Its breaker needs 12 failures in a row to open
// and then stays open for the rest of the test, so that what it does depends
// on the order of the faults only, never on how long the real network takes.
const (
	httpAttempts    = 3
	httpConsecutive = 12
)

// send makes request i and classes its outcome.
func (c httpChaos) send(t *testing.T, client *http.Client, i int) string {
	t.Helper()
	method, body := http.MethodGet, ""
	if c.isPost(i) {
		method, body = http.MethodPost, "order="+strconv.Itoa(i)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return classify(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return strconv.Itoa(resp.StatusCode)
}

// shadow returns the decisions the engine makes for the point under a fresh
// application of the plan, one per call of the returned function.
func (c httpChaos) shadow(t *testing.T) func() chaos.Decision {
	t.Helper()
	e := chaos.New(chaos.WithSeed(c.engine.Seed()))
	if err := e.Apply(c.plan); err != nil {
		t.Fatal(err)
	}
	p := e.Point(c.point)
	return func() chaos.Decision { return p.Decide(context.Background()) }
}

// run sends httpCalls requests through the raw client and then, with the plan
// applied afresh so that the point makes the same decisions again, through the
// resilient one. It checks both against the model and returns what happened.
// The failures it counts and compares are those of the requests the resilient
// client may retry: a POST fails for both clients alike.
func (c httpChaos) run(t *testing.T) httpResult {
	t.Helper()
	var rawFailed, resilientFailed int

	// The raw client: one attempt per request.
	chaostest.EnablePlan(t, c.engine, c.plan)
	raw := &http.Client{Transport: c.inner}
	next := c.shadow(t)
	for i := range httpCalls {
		got, want := c.send(t, raw, i), c.result(next())
		if got != want {
			t.Fatalf("raw request %d: %s, the seeded plan says %s", i, got, want)
		}
		if got != "200" && !c.isPost(i) {
			rawFailed++
		}
	}

	// The resilient client, under the same faults in the same order.
	chaostest.EnablePlan(t, c.engine, c.plan)
	retries := 0
	var changes []string
	chain := resilience.Chain(
		resilience.Retry{
			MaxAttempts:     httpAttempts,
			InitialInterval: time.Millisecond,
			MaxInterval:     2 * time.Millisecond,
			Jitter:          -1,
			OnRetry:         func(int, error, time.Duration) { retries++ },
		},
		resilience.NewBreaker("http",
			resilience.WithConsecutiveFailures(httpConsecutive),
			resilience.WithOpenTimeout(time.Hour),
			resilience.WithOnStateChange(func(_ string, from, to resilience.State) {
				changes = append(changes, from.String()+"->"+to.String())
			})),
		// Far above any latency here: it bounds each attempt, but must not
		// fire on a slow machine and make the outcome depend on timing.
		resilience.Timeout{Duration: 10 * time.Second},
	)
	resilient := &http.Client{Transport: resilience.Transport(c.inner, chain,
		resilience.WithFailureStatus(resilience.TransientStatus))}

	next = c.shadow(t)
	attempt := func() attemptOutcome {
		r := c.result(next())
		return attemptOutcome{ok: r == "200", result: r}
	}
	b := &modelBreaker{consecutive: httpConsecutive}
	waits := []time.Duration{time.Millisecond, 2 * time.Millisecond}
	for i := range httpCalls {
		attempts := httpAttempts
		if c.isPost(i) {
			attempts = 1 // not idempotent: the first failure is final
		}
		want := modelCall(attempts, b, waits, attempt)
		retries = 0
		got := callOutcome{Result: c.send(t, resilient, i)}
		got.Attempts = retries + 1
		if got.Attempts != want.Attempts || got.Result != want.Result {
			t.Fatalf("resilient request %d: %d attempts, %s; the seeded plan says %d attempts, %s",
				i, got.Attempts, got.Result, want.Attempts, want.Result)
		}
		if got.Result != "200" && !c.isPost(i) {
			resilientFailed++
		}
	}
	if !slices.Equal(changes, b.changes) {
		t.Errorf("breaker state changes %q, the model says %q", changes, b.changes)
	}

	t.Logf("seed %d: the raw client failed %d of %d retryable requests, the resilient one %d",
		c.engine.Seed(), rawFailed, c.retryable(), resilientFailed)
	if rawFailed == 0 {
		t.Errorf("the raw client saw no failure: the plan injected nothing")
	}
	if 2*resilientFailed >= rawFailed {
		t.Errorf("the resilient client failed %d requests, not far fewer than the raw client's %d", resilientFailed, rawFailed)
	}
	return httpResult{rawFailed: rawFailed, resilientFailed: resilientFailed, opened: len(changes) > 0}
}

// retryable returns how many of the requests are not POSTs.
func (c httpChaos) retryable() int {
	n := 0
	for i := range httpCalls {
		if !c.isPost(i) {
			n++
		}
	}
	return n
}

// httpResult is what httpChaos.run saw.
type httpResult struct {
	// rawFailed and resilientFailed count the failed requests that are not
	// POSTs.
	rawFailed, resilientFailed int
	// opened reports that the breaker opened, after which it rejects every
	// request and the binomial bounds no longer apply.
	opened bool
}

// TestChaosHTTPServer puts chaoshttp.Middleware in front of a real server
// (25% 503, 15% handler error answered as 500, 20% 1ms latency) and compares a
// plain client with a resilient one over loopback, under the same seeded plan.
//
// Each request's outcome, and the resilient client's attempts, must be what the
// seeded plan predicts. One attempt fails with f = 0.25 + 0.75·0.15 = 0.3625;
// the raw client fails about 36 requests in 100, the resilient one (3 attempts)
// about f³ ≈ 4.8%. The test asserts that the raw client fails some, that the
// resilient one fails at most half as many, and, unless the breaker opened
// (12 failures in a row: about 5e-4 for any seed), at most the binomial
// quantile of f³ at 1e-9.
func TestChaosHTTPServer(t *testing.T) {
	e := chaostest.New(t)
	const point = "GET /dep"
	mux := http.NewServeMux()
	mux.Handle(point, chaoshttp.Middleware(e)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)

	c := httpChaos{
		engine: e,
		plan: chaos.Plan{Version: "server", Rules: []chaos.Rule{
			{Point: point, Fault: faults.HTTPStatus(http.StatusServiceUnavailable, "overloaded"), Rate: 0.25},
			{Point: point, Fault: faults.Error("handler failed"), Rate: 0.15},
			{Point: point, Fault: faults.Latency(time.Millisecond), Rate: 0.2},
		}},
		point: point,
		url:   srv.URL + "/dep",
		inner: base,
		result: func(d chaos.Decision) string {
			switch d.Kind() {
			case faults.KindStatus:
				return strconv.Itoa(d.Fault().Code)
			case faults.KindError:
				return "500"
			}
			return "200"
		},
	}
	r := c.run(t)
	f := 0.25 + 0.75*0.15
	if bound := binomialQuantile(httpCalls, math.Pow(f, httpAttempts), falseAlarm); !r.opened && r.resilientFailed > bound {
		t.Errorf("the resilient client failed %d requests, more than the %d allowed for f=%.4f", r.resilientFailed, bound, f)
	}
}

// TestChaosHTTPClient injects faults on the client side with
// chaoshttp.Transport (10% error, 15% connection reset, 10% 503 made up by the
// transport, 10% 1ms latency) under resilience.Transport, against a real
// server that never fails. Every fifth request is a POST without an
// idempotency key, which the resilient client must send once whatever
// happens; the GETs are retried.
//
// As for TestChaosHTTPServer, each outcome and attempt count must be what the
// seeded plan predicts (a POST: one attempt, its fault returned as is), and,
// counting GETs only, the resilient client must fail at most half as many as
// the raw one, and (unless the breaker opened) at most the binomial quantile
// at 1e-9 of f³, where f = 0.1 + 0.9·0.15 + 0.9·0.85·0.1 ≈ 0.31 is the chance
// that one attempt fails.
func TestChaosHTTPClient(t *testing.T) {
	e := chaostest.New(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	const pattern = "http.client *"
	c := httpChaos{
		engine: e,
		plan: chaos.Plan{Version: "client", Rules: []chaos.Rule{
			{Point: pattern, Fault: faults.Error("dns flake"), Rate: 0.1},
			{Point: pattern, Fault: faults.Abort(), Rate: 0.15},
			{Point: pattern, Fault: faults.HTTPStatus(http.StatusServiceUnavailable, ""), Rate: 0.1},
			{Point: pattern, Fault: faults.Latency(time.Millisecond), Rate: 0.1},
		}},
		point: "http.client " + u.Host,
		url:   srv.URL + "/orders",
		inner: chaoshttp.Transport(base, e),
		result: func(d chaos.Decision) string {
			switch d.Kind() {
			case faults.KindError:
				return "injected"
			case faults.KindAbort:
				return "reset"
			case faults.KindStatus:
				return strconv.Itoa(d.Fault().Code)
			}
			return "200"
		},
		post: func(i int) bool { return i%5 == 4 },
	}
	r := c.run(t)

	f := 0.1 + 0.9*0.15 + 0.9*0.85*0.1
	if bound := binomialQuantile(c.retryable(), math.Pow(f, httpAttempts), falseAlarm); !r.opened && r.resilientFailed > bound {
		t.Errorf("the resilient client failed %d GETs, more than the %d allowed for f=%.4f", r.resilientFailed, bound, f)
	}
}
