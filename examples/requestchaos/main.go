package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// The directive the command sends, and the latency its rule injects.
const (
	directiveID   = "checkout-demo"
	directivePlan = "payments.charge=delay(300ms)"
	injected      = 300 * time.Millisecond
)

func main() {
	res, err := run(context.Background(), os.Stdout)
	if err == nil {
		err = res.Check()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "requestchaos:", err)
		os.Exit(1)
	}
}

// Result is what run saw.
type Result struct {
	// Directed carried the directive, Plain none, and Forged one signed
	// with another secret under the same key id.
	Directed, Plain, Forged Checkout
	// Events are the faults payments' admin API reports.
	Events []Event
	// Directives are each engine's directive counts, by service name.
	Directives map[string]chaos.DirectiveStats
}

// Checkout is one request to the gateway, as the client saw it.
type Checkout struct {
	Latency time.Duration // the whole request, as the client measured it
	Status  int
	Body    string
	Charge  time.Duration // the charge at payments, as its reply says
}

// Event is a fault as GET api/events of an admin API reports it.
type Event struct {
	Point     string `json:"point"`
	Fault     string `json:"fault"`
	Directive string `json:"directive"` // the id of the directive whose rule fired
}

// directiveKey returns the key of $FAULTLINE_DIRECTIVE_KEY, or a fresh
// one.
func directiveKey() (chaos.DirectiveKey, error) {
	if s := os.Getenv("FAULTLINE_DIRECTIVE_KEY"); s != "" {
		return chaos.ParseDirectiveKey(s)
	}
	return chaos.NewDirectiveKey("demo")
}

// mint signs a directive of issuer holding plan, living for ttl.
func mint(key chaos.DirectiveKey, id, plan string, ttl time.Duration) (string, error) {
	p, err := chaos.ParsePlan(plan)
	if err != nil {
		return "", err
	}
	now := time.Now()
	return chaos.Directive{ID: id, Issuer: issuer, Plan: p, IssuedAt: now, Expires: now.Add(ttl)}.Sign(key)
}

// run starts the services, sends the three checkouts, reads payments'
// events and every engine's counts, prints them to out, and stops the
// services.
func run(ctx context.Context, out io.Writer) (res Result, err error) {
	key, err := directiveKey()
	if err != nil {
		return res, err
	}
	svc, err := startServices(key, rand.Text())
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, svc.Close()) }()

	token, err := mint(key, directiveID, directivePlan, time.Minute)
	if err != nil {
		return res, err
	}
	other, err := chaos.NewDirectiveKey(key.ID) // same id, another secret
	if err != nil {
		return res, err
	}
	forged, err := mint(other, directiveID, directivePlan, time.Minute)
	if err != nil {
		return res, err
	}

	fmt.Fprintf(out, "gateway %s → orders %s → payments (gRPC), directive %q: %s\n\n", svc.Gateway.URL, svc.Orders.URL, directiveID, directivePlan)
	for _, c := range []struct {
		name, token string
		into        *Checkout
	}{{"with the directive", token, &res.Directed}, {"without", "", &res.Plain}, {"with a forged one", forged, &res.Forged}} {
		if *c.into, err = svc.checkout(ctx, c.token); err != nil {
			return res, fmt.Errorf("checkout %s: %w", c.name, err)
		}
		fmt.Fprintf(out, "checkout %-19s %4d in %7.1fms (payments.charge %.1fms): %s\n", c.name, c.into.Status,
			ms(c.into.Latency), ms(c.into.Charge), c.into.Body)
	}

	if res.Events, err = svc.events(ctx, svc.Payments); err != nil {
		return res, fmt.Errorf("payments events: %w", err)
	}
	fmt.Fprintf(out, "\npayments reports %d fault(s):\n", len(res.Events))
	for _, ev := range res.Events {
		fmt.Fprintf(out, "  %s: %s, directive %q\n", ev.Point, ev.Fault, ev.Directive)
	}
	fmt.Fprintln(out, "\ndirectives:")
	res.Directives = make(map[string]chaos.DirectiveStats)
	for _, s := range []service{svc.Gateway, svc.Orders, svc.Payments} {
		st := s.Engine.DirectiveStats()
		res.Directives[s.Name] = st
		fmt.Fprintf(out, "  %-8s accepted %d, refused %v\n", s.Name, st.Accepted, st.Refused)
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Check reports what is not as the package documentation describes.
func (r Result) Check() error {
	var errs []error
	if r.Directed.Status != http.StatusOK || r.Directed.Charge < injected || r.Directed.Latency < injected {
		errs = append(errs, fmt.Errorf("with the directive: %d in %v, charge %v; want 200, both at least %v", r.Directed.Status, r.Directed.Latency, r.Directed.Charge, injected))
	}
	for name, c := range map[string]Checkout{"without": r.Plain, "forged": r.Forged} {
		if c.Status != http.StatusOK || c.Latency >= injected {
			errs = append(errs, fmt.Errorf("%s: %d in %v; want 200 in less than %v", name, c.Status, c.Latency, injected))
		}
	}
	if !slices.ContainsFunc(r.Events, func(ev Event) bool { return ev.Point == "payments.charge" && ev.Directive == directiveID }) {
		errs = append(errs, fmt.Errorf("payments events %+v name no fault of directive %q at payments.charge", r.Events, directiveID))
	}
	if len(r.Directives) != 3 {
		errs = append(errs, fmt.Errorf("directive counts of %d services, want 3", len(r.Directives)))
	}
	for name, st := range r.Directives {
		if st.Accepted != 1 || st.Refused[chaos.RefusedSignature] != 1 {
			errs = append(errs, fmt.Errorf("%s: %+v; want 1 accepted, 1 refused for a bad signature", name, st))
		}
	}
	return errors.Join(errs...)
}

// checkout posts a checkout to the gateway, with token in its baggage
// unless it is "", as a client outside the services would.
func (s *services) checkout(ctx context.Context, token string) (Checkout, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Gateway.URL+"/checkout", nil)
	if err != nil {
		return Checkout{}, err
	}
	if token != "" {
		req.Header.Set("Baggage", "user=demo,"+chaos.DirectiveBaggageKey+"="+token)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Checkout{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	c := Checkout{Latency: time.Since(start), Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	var reply chargeReply
	if json.Unmarshal(b, &reply) == nil {
		c.Charge = time.Duration(reply.ChargeMS * float64(time.Millisecond))
	}
	return c, err
}

// events returns the faults that svc's admin API reports.
func (s *services) events(ctx context.Context, svc service) ([]Event, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, svc.Admin+"api/events", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %sapi/events: %s", svc.Admin, resp.Status)
	}
	var v struct{ Events []Event }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return nil, fmt.Errorf("GET %sapi/events: %w", svc.Admin, err)
	}
	return v.Events, nil
}
