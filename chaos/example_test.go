package chaos_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// A service marks a fault point and keeps it in a variable; a plan switches
// a fault on for it. With a fixed seed the same calls fire every run.
func Example() {
	engine := chaos.New(chaos.WithSeed(8))
	charge := engine.Point("payments.charge")

	plan, err := chaos.ParsePlan("payments.charge=25%error(card declined)")
	if err != nil {
		panic(err)
	}
	if err := engine.Apply(plan); err != nil {
		panic(err)
	}

	for i := 1; i <= 12; i++ {
		if err := charge.Inject(context.Background()); err != nil {
			fmt.Println(i, err)
		}
	}
	// Output:
	// 3 faultline: injected error at payments.charge: card declined
	// 8 faultline: injected error at payments.charge: card declined
	// 12 faultline: injected error at payments.charge: card declined
}

func ExampleNew() {
	e := chaos.New(chaos.WithSeed(7), chaos.WithInstance("pod-a"), chaos.WithPolicy(chaos.ProductionPolicy()))
	fmt.Println(e.Seed(), e.Instance(), e.Disabled())
	// Output:
	// 7 pod-a false
}

// Point is idempotent: keep the *Point in a package variable so the hot
// path skips the lookup.
func ExampleEngine_Point() {
	e := chaos.New()
	a, b := e.Point("db.query"), e.Point("db.query")
	fmt.Println(a == b, a.Name(), a.Armed())

	_ = e.Apply(chaos.MustParsePlan("db.*=1%badconn"))
	fmt.Println(a.Armed())
	// Output:
	// true db.query false
	// true
}

func ExamplePoint_Inject() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("db.query=2*badconn"))
	query := e.Point("db.query")

	for range 3 {
		err := query.Inject(context.Background())
		fmt.Println(err, errors.Is(err, faults.ErrInjected))
	}
	// Output:
	// faultline: injected badconn at db.query: driver: bad connection true
	// faultline: injected badconn at db.query: driver: bad connection true
	// <nil> false
}

// Middleware that applies transport faults itself asks for the decision
// and acts on its kind.
func ExamplePoint_Decide() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan(`"GET /users/{id}"=status(503,"try later")`))
	route := e.Point("GET /users/{id}")

	d := route.Decide(context.Background())
	if d.Kind() == faults.KindStatus {
		fmt.Println(d.Fault().Code, d.Fault().Body, d.Seq(), d.Rule())
	}
	// Output:
	// 503 try later 1 0
}

// DecideLabels passes labels without a context allocation; Armed lets the
// caller skip gathering them when no rule names the point.
func ExamplePoint_DecideLabels() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("api=error[label.tenant=acme]"))
	api := e.Point("api")

	for _, tenant := range []string{"acme", "globex"} {
		if api.Armed() {
			d := api.DecideLabels(context.Background(), chaos.Label{Key: "tenant", Value: tenant})
			fmt.Println(tenant, d.Fired())
		}
	}
	// Output:
	// acme true
	// globex false
}

// Labels travel in the context; rules match them, and a sticky rule keeps
// one tenant in or out for the whole plan.
func ExampleWithLabels() {
	e := chaos.New(chaos.WithSeed(3))
	_ = e.Apply(chaos.MustParsePlan("checkout=50%error[sticky=tenant]"))
	checkout := e.Point("checkout")

	for _, tenant := range []string{"acme", "globex", "initech", "umbrella"} {
		ctx := chaos.WithLabels(context.Background(), "tenant", tenant)
		first, second := checkout.Inject(ctx) != nil, checkout.Inject(ctx) != nil
		fmt.Println(tenant, first, second)
	}
	// Output:
	// acme true true
	// globex false false
	// initech false false
	// umbrella true true
}

func ExampleLabelsFrom() {
	ctx := chaos.WithLabels(context.Background(), "tenant", "acme", "region", "eu")
	fmt.Println(chaos.LabelsFrom(ctx))
	// Output:
	// [{tenant acme} {region eu}]
}

func ExampleParsePlan() {
	plan, err := chaos.ParsePlan(`payments.charge=10%delay(200ms);db.query=3*error(timeout)[after=2,label.tenant=acme];"GET /users/{id}"=0.1%status(503)`)
	if err != nil {
		panic(err)
	}
	for _, r := range plan.Rules {
		fmt.Printf("%-16s %-15v rate=%v times=%d after=%d labels=%v\n", r.Point, r.Fault, r.Rate, r.Times, r.After, r.Labels)
	}

	_, err = chaos.ParsePlan("a=error;b=150%delay(1s);c=explode")
	fmt.Println(err)
	// Output:
	// payments.charge  delay(200ms)    rate=0.1 times=0 after=0 labels=map[]
	// db.query         error(timeout)  rate=1 times=3 after=2 labels=map[tenant:acme]
	// GET /users/{id}  status(503)     rate=0.001 times=0 after=0 labels=map[]
	// chaos: invalid plan: rules[1].rate: 1.5 is outside [0,1]; rules[2]: fault "explode": unknown fault "explode" (want delay, error, panic, hang, pause, squeeze, cancel, status, abort, badconn, corrupt or custom(NAME))
}

// ParsePlan reads JSON too: a document that starts with '{'. The rate
// defaults to 1 in JSON, and a fault may be written in its text form.
func ExampleParsePlan_json() {
	plan, err := chaos.ParsePlan(`{
		"version": "gameday-7",
		"rules": [
			{"point": "db.query", "fault": "error(timeout)", "times": 3},
			{"point": "cache.get", "fault": {"kind": "latency", "delay": "50ms"}, "rate": 0.05, "ttl": "10m"}
		]
	}`)
	if err != nil {
		panic(err)
	}
	fmt.Println(plan.Version, plan)

	b, _ := json.Marshal(plan.Rules[0])
	fmt.Println(string(b))
	// Output:
	// gameday-7 db.query=3*error(timeout);cache.get=5%delay(50ms)[ttl=10m0s]
	// {"point":"db.query","fault":{"kind":"error","message":"timeout"},"rate":1,"times":3}
}

// MustParsePlan is for plans written in code: a plan that does not parse
// is a bug, so it panics.
func ExampleMustParsePlan() {
	plan := chaos.MustParsePlan("payments.charge=10%delay(200ms)")
	fmt.Println(plan.Rules[0].Point, plan.Rules[0].Fault, plan.Rules[0].Rate)
	// Output:
	// payments.charge delay(200ms) 0.1
}

// String writes the text form; ParsePlan reads it back to an equal plan.
func ExamplePlan_String() {
	plan := chaos.Plan{Rules: []chaos.Rule{
		{Point: "payments.charge", Fault: faults.Latency(200 * time.Millisecond), Rate: 0.1},
		{Point: "GET /users/{id}", Fault: faults.Error("boom"), Rate: 1, Times: 2, Labels: map[string]string{"tenant": "acme"}},
	}}
	text := plan.String()
	fmt.Println(text)

	back, _ := chaos.ParsePlan(text)
	fmt.Println(back.Equal(plan))
	// Output:
	// payments.charge=10%delay(200ms);"GET /users/{id}"=2*error(boom)[label.tenant=acme]
	// true
}

// Apply checks the whole plan before it swaps it in: a bad plan changes
// nothing, and its error lists every problem with its place.
func ExampleEngine_Apply() {
	e := chaos.New()
	_ = e.Apply(chaos.MustParsePlan("db.query=1%error"), chaos.FromSource("admin"))

	err := e.Apply(chaos.Plan{Rules: []chaos.Rule{
		{Point: "db.query", Fault: faults.Error("x"), Rate: 1},
		{Point: "", Fault: faults.Latency(-time.Second), Rate: 1.5},
	}})
	var pe *chaos.PlanError
	if errors.As(err, &pe) {
		fmt.Println(errors.Is(err, chaos.ErrInvalidPlan))
		for _, p := range pe.Problems {
			fmt.Println(p)
		}
	}
	fmt.Println(e.Plan(), e.Active().Source)
	// Output:
	// true
	// rules[1].point: is empty
	// rules[1].fault.delay: -1s is negative
	// rules[1].rate: 1.5 is outside [0,1]
	// db.query=1%error admin
}

// Disable is the kill switch; applying a plan turns the engine back on.
func ExampleEngine_Disable() {
	e := chaos.New()
	_ = e.Apply(chaos.MustParsePlan("db.query=error"))
	q := e.Point("db.query")

	e.Disable("admin: alice, checkout errors")
	fmt.Println(q.Inject(context.Background()), e.Disabled(), q.Armed())

	// Nothing applies until a person re-arms the engine.
	err := e.Apply(chaos.MustParsePlan("db.query=error"))
	fmt.Println(errors.Is(err, chaos.ErrDisabled))

	e.Rearm("admin: bob")
	_ = e.Apply(chaos.MustParsePlan("db.query=error"))
	fmt.Println(q.Inject(context.Background()) != nil, e.Disabled(), e.Active().RearmedBy)
	// Output:
	// <nil> true false
	// true
	// true false admin: bob
}

// A policy refuses what it does not allow, or clamps rates and latencies
// when told to, and says what it clamped.
func ExamplePolicy() {
	strict := chaos.New(chaos.WithPolicy(chaos.ProductionPolicy()))
	err := strict.Apply(chaos.MustParsePlan("api=50%panic"))
	fmt.Println(errors.Is(err, chaos.ErrRefused))
	fmt.Println(err)

	p := chaos.ProductionPolicy()
	p.Clamp = true
	lenient := chaos.New(chaos.WithPolicy(p))
	_ = lenient.Apply(chaos.MustParsePlan("api=50%delay(10s)"))
	fmt.Println(lenient.Plan())
	fmt.Println(lenient.Active().Clamped)
	// Output:
	// true
	// chaos: plan refused by policy: rules[0].fault.kind: panic is not allowed by the policy (allowed: latency, error, status, abort, badconn, corrupt); rules[0].rate: 0.5 exceeds the policy's max rate 0.05
	// api=5%delay(2s)
	// [rules[0].rate: 0.5 clamped to 0.05 rules[0].fault.delay: 10s clamped to 2s]
}

// In dry-run mode points decide and report, but inject nothing.
func ExamplePolicy_dryRun() {
	e := chaos.New(chaos.WithPolicy(chaos.Policy{DryRun: true}))
	e.AddObserver(chaos.ObserverFunc(func(_ context.Context, ev chaos.Event) {
		fmt.Println("would inject", ev.Fault, "at", ev.Point, "dry run:", ev.DryRun)
	}))
	_ = e.Apply(chaos.MustParsePlan("db.query=error(timeout)"))

	fmt.Println(e.Point("db.query").Inject(context.Background()))
	fmt.Println(e.Stats().Points[0].DryRun)
	// Output:
	// would inject error(timeout) at db.query dry run: true
	// <nil>
	// 1
}

func ExampleEngine_Stats() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("db.*=2*badconn;db.query=delay(1ms)[every=3]"))
	for range 9 {
		_ = e.Point("db.query").Decide(context.Background())
	}
	s := e.Stats()
	for _, p := range s.Points {
		fmt.Println(p.Point, p.Evaluations, p.Fired, p.ByKind)
	}
	for _, r := range s.Rules {
		fmt.Println(r.Rule, r.Point, r.Fired)
	}
	// Output:
	// db.query 9 5 map[latency:3 badconn:2]
	// 0 db.* 2
	// 1 db.query 3
}

func ExampleEngine_AddObserver() {
	e := chaos.New(chaos.WithSeed(1))
	_ = e.Apply(chaos.MustParsePlan("db.query=error(timeout)[every=2]"))
	remove := e.AddObserver(chaos.ObserverFunc(func(_ context.Context, ev chaos.Event) {
		fmt.Printf("%s fired rule %d (%v) on call %d, labels %v\n", ev.Point, ev.Rule, ev.Fault, ev.Seq, ev.Labels)
	}))

	ctx := chaos.WithLabels(context.Background(), "tenant", "acme")
	for range 4 {
		_ = e.Point("db.query").Inject(ctx)
	}
	remove()
	_ = e.Point("db.query").Inject(ctx)
	_ = e.Point("db.query").Inject(ctx)
	// Output:
	// db.query fired rule 0 (error(timeout)) on call 2, labels [{tenant acme}]
	// db.query fired rule 0 (error(timeout)) on call 4, labels [{tenant acme}]
}

// The package-level Inject uses the default engine; SetDefault replaces
// it, for instance with one that has a seed or a policy. Code on a hot path
// keeps the *Point instead.
func ExampleInject() {
	prev := chaos.Default()
	defer chaos.SetDefault(prev)

	chaos.SetDefault(chaos.New(chaos.WithSeed(1)))
	_ = chaos.Default().Apply(chaos.MustParsePlan("checkout=1*error(declined)"))

	fmt.Println(chaos.Inject(context.Background(), "checkout"))
	fmt.Println(chaos.Inject(context.Background(), "checkout"))
	fmt.Println(chaos.Inject(context.Background(), "not.named"))
	// Output:
	// faultline: injected error at checkout: declined
	// <nil>
	// <nil>
}

func ExampleDefault() {
	e := chaos.Default()
	fmt.Println(e == chaos.Default(), e.Plan())
	// Output:
	// true
}

func ExampleMatch() {
	fmt.Println(chaos.Match("sql.*", "sql.query"), chaos.Match("GET /users/*", "GET /users/{id}"), chaos.Match("sql.*", "http.get"))
	// Output:
	// true true false
}
