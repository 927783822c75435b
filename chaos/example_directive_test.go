package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// A directive turns faults on for the one request that carries it. The
// issuer signs it with a key; a service that allows request-scoped faults
// and holds the key accepts it into the request's context (chaoshttp and
// chaosgrpc do this for each request), and its points apply the
// directive's rules under that context only.
func ExampleEngine_AcceptDirective() {
	key := chaos.DirectiveKey{ID: "2026-11", Secret: []byte(strings.Repeat("s", 32))}
	policy := chaos.ProductionPolicy()
	policy.Requests = chaos.RequestPolicy{Allow: true, MaxRate: 1, MaxTTL: time.Minute}
	engine := chaos.New(chaos.WithPolicy(policy), chaos.WithDirectiveKeys(key))
	charge := engine.Point("payments.charge")

	// The issuer: in baggage as faultline=TOKEN.
	token, err := chaos.Directive{
		ID:      "checkout-42",
		Issuer:  "alice",
		Plan:    chaos.MustParsePlan("payments.charge=error(declined)"),
		Expires: time.Now().Add(time.Minute),
	}.Sign(key)
	if err != nil {
		panic(err)
	}

	// The service, for the request that brought it.
	ctx, err := engine.AcceptDirective(context.Background(), token)
	fmt.Println("accepted:", err == nil)
	fmt.Println("this request:", errors.Is(charge.Inject(ctx), faults.ErrInjected))
	fmt.Println("any other:", charge.Inject(context.Background()))

	// A forged one applies nothing and never fails the request.
	forged := token[:len(token)-4] + "AAAA"
	ctx, err = engine.AcceptDirective(context.Background(), forged)
	fmt.Println("forged:", charge.Inject(ctx), err)
	fmt.Println(engine.Stats().Directives.Refused)
	// Output:
	// accepted: true
	// this request: true
	// any other: <nil>
	// forged: <nil> chaos: directive refused: bad_signature: key id "2026-11"
	// map[bad_signature:1]
}

// MintDirective is the short way to sign a plan for a minute or two; the
// token verifies with the same key until it expires.
func ExampleMintDirective() {
	key, err := chaos.NewDirectiveKey("ci")
	if err != nil {
		panic(err)
	}
	token, err := chaos.MintDirective(chaos.MustParsePlan(`"GET /checkout"=delay(2s)`), key, 2*time.Minute)
	if err != nil {
		panic(err)
	}
	d, err := chaos.VerifyDirective(token, time.Now(), key)
	fmt.Println(d.Plan, d.KeyID, d.Expires.Sub(d.IssuedAt), err)

	_, err = chaos.VerifyDirective(token, time.Now().Add(3*time.Minute), key)
	var de *chaos.DirectiveError
	fmt.Println(errors.As(err, &de), de.Reason)
	// Output:
	// "GET /checkout"=delay(2s) ci 2m0s <nil>
	// true expired
}

// Check vets a plan document against a service's policy without an
// engine, as a CI job on plan documents does.
func ExamplePolicy_Check() {
	_, clamped, err := chaos.ProductionPolicy().Check(chaos.MustParsePlan("db.query=20%delay(5s);cache.get=panic"))
	fmt.Println(clamped)
	var pe *chaos.PlanError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// []
	// rules[0].rate: 0.2 exceeds the policy's max rate 0.05
	// rules[0].fault.delay: 5s exceeds the policy's max latency 2s
	// rules[1].fault.kind: panic is not allowed by the policy (allowed: latency, error, status, abort, badconn, corrupt)
	// rules[1].rate: 1 exceeds the policy's max rate 0.05
}
