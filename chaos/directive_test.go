package chaos_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// testKey returns a directive key with a fixed secret, so that tests can
// mint directives the engines under test accept.
func testKey(id string) chaos.DirectiveKey {
	return chaos.DirectiveKey{ID: id, Secret: []byte(strings.Repeat(id, 32)[:32])}
}

// requestPolicy allows request-scoped faults at every rate.
func requestPolicy() chaos.Policy {
	return chaos.Policy{Requests: chaos.RequestPolicy{Allow: true}}
}

func mint(t testing.TB, key chaos.DirectiveKey, plan string, ttl time.Duration) string {
	t.Helper()
	tok, err := chaos.MintDirective(chaos.MustParsePlan(plan), key, ttl)
	if err != nil {
		t.Fatalf("MintDirective: %v", err)
	}
	return tok
}

func TestDirectiveRoundTrip(t *testing.T) {
	key := testKey("k1")
	issued := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	d := chaos.Directive{
		ID: "checkout-42", Issuer: "alice", Seed: 7,
		Plan:     chaos.MustParsePlan(`payments.charge=delay(300ms);"GET /orders/{id}"=50%status(503)[label.user=u1]`),
		IssuedAt: issued, Expires: issued.Add(time.Minute),
	}
	d.Plan.Version = "v3"
	tok, err := d.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range tok {
		if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", c) {
			t.Fatalf("token holds %q, which a baggage value must escape: %s", c, tok)
		}
	}
	got, err := chaos.VerifyDirective(tok, issued.Add(time.Second), testKey("k0"), key)
	if err != nil {
		t.Fatalf("VerifyDirective: %v", err)
	}
	if got.ID != d.ID || got.Issuer != d.Issuer || got.Seed != d.Seed || got.KeyID != "k1" ||
		!got.IssuedAt.Equal(issued) || !got.Expires.Equal(d.Expires) || !got.Plan.Equal(d.Plan) {
		t.Errorf("VerifyDirective = %+v, want %+v", got, d)
	}
}

func TestVerifyDirectiveRefuses(t *testing.T) {
	key := testKey("k1")
	now := time.Now()
	good := mint(t, key, "db.query=error", time.Minute)
	parts := strings.Split(good, ".")
	other, err := chaos.MintDirective(chaos.MustParsePlan("db.query=delay(1s)"), key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	otherParts := strings.Split(other, ".")
	tests := []struct {
		name   string
		token  string
		now    time.Time
		reason string
	}{
		{"empty", "", now, chaos.RefusedMalformed},
		{"unsigned", strings.Join(parts[:3], "."), now, chaos.RefusedMalformed},
		{"other version", "v2." + strings.Join(parts[1:], "."), now, chaos.RefusedMalformed},
		{"unknown key", "v1.k9." + strings.Join(parts[2:], "."), now, chaos.RefusedKey},
		{"signature of another payload", strings.Join([]string{parts[0], parts[1], parts[2], otherParts[3]}, "."), now, chaos.RefusedSignature},
		{"payload of another signature", strings.Join([]string{parts[0], parts[1], otherParts[2], parts[3]}, "."), now, chaos.RefusedSignature},
		{"truncated signature", good[:len(good)-2], now, chaos.RefusedSignature},
		{"padded signature", good + "=", now, chaos.RefusedSignature},
		{"expired", good, now.Add(2 * time.Minute), chaos.RefusedExpired},
		{"issued in the future", good, now.Add(-2 * chaos.DirectiveClockSkew), chaos.RefusedExpired},
		{"oversized", good + strings.Repeat("A", chaos.MaxDirectiveSize), now, chaos.RefusedOversized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chaos.VerifyDirective(tt.token, tt.now, key)
			var de *chaos.DirectiveError
			if !errors.As(err, &de) || !errors.Is(err, chaos.ErrDirectiveRefused) || de.Reason != tt.reason {
				t.Fatalf("VerifyDirective = %v, want a refusal for %q", err, tt.reason)
			}
		})
	}
	// A token signed with the same key id but another secret is refused.
	forged := mint(t, chaos.DirectiveKey{ID: "k1", Secret: []byte(strings.Repeat("x", 32))}, "db.query=error", time.Minute)
	if _, err := chaos.VerifyDirective(forged, now, key); err == nil || !strings.Contains(err.Error(), chaos.RefusedSignature) {
		t.Errorf("forged token: %v, want bad_signature", err)
	}
}

func TestSignDirectiveChecks(t *testing.T) {
	key := testKey("k1")
	now := time.Now()
	tests := []struct {
		name string
		d    chaos.Directive
		key  chaos.DirectiveKey
		want string
	}{
		{"no rules", chaos.Directive{Expires: now.Add(time.Minute)}, key, "no rules"},
		{"expired before issued", chaos.Directive{Plan: chaos.MustParsePlan("a=error"), IssuedAt: now, Expires: now}, key, "is not after"},
		{"bad id", chaos.Directive{ID: "a b", Plan: chaos.MustParsePlan("a=error"), Expires: now.Add(time.Minute)}, key, "id"},
		{"short secret", chaos.Directive{Plan: chaos.MustParsePlan("a=error"), Expires: now.Add(time.Minute)}, chaos.DirectiveKey{ID: "k", Secret: []byte("short")}, "at least 32"},
		{"too many rules", chaos.Directive{Plan: chaos.MustParsePlan(strings.Repeat("a=error;", chaos.MaxDirectiveRules+1)), Expires: now.Add(time.Minute)}, key, "rules exceed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.d.Sign(tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Sign = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestParseDirectiveKey(t *testing.T) {
	k, err := chaos.NewDirectiveKey("2026-11")
	if err != nil {
		t.Fatal(err)
	}
	got, err := chaos.ParseDirectiveKey(k.String() + "\n")
	if err != nil || got.ID != k.ID || string(got.Secret) != string(k.Secret) {
		t.Fatalf("ParseDirectiveKey(String()) = %v, %v; want %v", got, err, k)
	}
	for _, bad := range []string{"", "nocolon", "id:!!!", "id:c2hvcnQ", ":" + strings.Repeat("A", 43), "a b:" + strings.Repeat("A", 43)} {
		if _, err := chaos.ParseDirectiveKey(bad); err == nil {
			t.Errorf("ParseDirectiveKey(%q) accepted", bad)
		}
	}
}

func TestAcceptDirective(t *testing.T) {
	key := testKey("k1")
	e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(key))
	charge := e.Point("payments.charge")
	tok := mint(t, key, "payments.charge=error(declined)", time.Minute)

	ctx, err := e.AcceptDirective(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := charge.Inject(ctx); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Inject under the directive = %v, want an injected error", err)
	}
	if err := charge.Inject(context.Background()); err != nil {
		t.Errorf("Inject without it = %v, want nil", err)
	}
	if err := e.Point("other").Inject(ctx); err != nil {
		t.Errorf("Inject at a point the directive does not name = %v, want nil", err)
	}
	if charge.Armed() {
		t.Error("Armed() = true at a point no plan names")
	}
	if got := chaos.DirectiveToken(ctx); got != tok {
		t.Errorf("DirectiveToken = %q, want the token", got)
	}
	if d, ok := chaos.DirectiveFrom(ctx); !ok || d.Plan.String() != "payments.charge=error(declined)" {
		t.Errorf("DirectiveFrom = %v, %v", d, ok)
	}
	st := e.Stats()
	if st.Directives.Accepted != 1 || len(st.Directives.Refused) != 0 {
		t.Errorf("Stats.Directives = %+v, want 1 accepted", st.Directives)
	}
	if ps := charge.Stats(); ps.Fired != 1 || ps.Evaluations != 0 {
		t.Errorf("point stats = %+v, want the directive's fire counted", ps)
	}

	// The engine's plan still applies, after the directive's rules.
	if err := e.Apply(chaos.MustParsePlan("payments.charge=status(503);other=error")); err != nil {
		t.Fatal(err)
	}
	d := charge.Decide(ctx)
	if d.Kind() != faults.KindError {
		t.Errorf("Decide under the directive with a plan = %v, want the directive's error first", d.Kind())
	}
	if d := e.Point("other").Decide(ctx); d.Kind() != faults.KindError {
		t.Errorf("plan's rule under a directive = %v, want error", d.Kind())
	}

	// The kill switch stops directive faults too.
	e.Disable("test")
	if err := charge.Inject(ctx); err != nil {
		t.Errorf("Inject after Disable = %v, want nil", err)
	}
}

func TestAcceptDirectiveRefuses(t *testing.T) {
	key := testKey("k1")
	now := time.Now()
	sign := func(d chaos.Directive) string {
		t.Helper()
		tok, err := d.Sign(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name   string
		opts   []chaos.Option
		token  string
		reason string
	}{
		{"no policy", []chaos.Option{chaos.WithDirectiveKeys(key)}, mint(t, key, "a=error", time.Minute), chaos.RefusedNotAllowed},
		{"policy without Requests.Allow", []chaos.Option{chaos.WithPolicy(chaos.Policy{}), chaos.WithDirectiveKeys(key)}, mint(t, key, "a=error", time.Minute), chaos.RefusedNotAllowed},
		{"no keys", []chaos.Option{chaos.WithPolicy(requestPolicy())}, mint(t, key, "a=error", time.Minute), chaos.RefusedNotAllowed},
		{"ttl over the default", []chaos.Option{chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(key)},
			mint(t, key, "a=error", chaos.DefaultDirectiveTTL+time.Minute), chaos.RefusedTTL},
		{"ttl over the policy", []chaos.Option{chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true, MaxTTL: time.Minute}}), chaos.WithDirectiveKeys(key)},
			mint(t, key, "a=error", 2*time.Minute), chaos.RefusedTTL},
		{"issuer", []chaos.Option{chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true, Issuers: []string{"ci"}}}), chaos.WithDirectiveKeys(key)},
			sign(chaos.Directive{Issuer: "mallory", Plan: chaos.MustParsePlan("a=error"), Expires: now.Add(time.Minute)}), chaos.RefusedIssuer},
		{"kind the policy refuses", []chaos.Option{chaos.WithPolicy(chaos.Policy{Kinds: []faults.Kind{faults.KindLatency}, Requests: chaos.RequestPolicy{Allow: true}}), chaos.WithDirectiveKeys(key)},
			mint(t, key, "a=panic", time.Minute), chaos.RefusedPlan},
		{"rate over the policy", []chaos.Option{chaos.WithPolicy(chaos.Policy{MaxRate: 0.05, Requests: chaos.RequestPolicy{Allow: true}}), chaos.WithDirectiveKeys(key)},
			mint(t, key, "a=error", time.Minute), chaos.RefusedPlan},
		{"point outside the policy", []chaos.Option{chaos.WithPolicy(chaos.Policy{Points: []string{"db.*"}, Requests: chaos.RequestPolicy{Allow: true}}), chaos.WithDirectiveKeys(key)},
			mint(t, key, "a=error", time.Minute), chaos.RefusedPlan},
		{"latency over the policy", []chaos.Option{chaos.WithPolicy(chaos.Policy{MaxLatency: time.Second, Requests: chaos.RequestPolicy{Allow: true}}), chaos.WithDirectiveKeys(key)},
			mint(t, key, "a=delay(2s)", time.Minute), chaos.RefusedPlan},
		{"wrong key", []chaos.Option{chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(testKey("k2"))}, mint(t, key, "a=error", time.Minute), chaos.RefusedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(tt.opts...)
			ctx, err := e.AcceptDirective(context.Background(), tt.token)
			var de *chaos.DirectiveError
			if !errors.As(err, &de) || de.Reason != tt.reason {
				t.Fatalf("AcceptDirective = %v, want a refusal for %q", err, tt.reason)
			}
			if err := e.Point("a").Inject(ctx); err != nil {
				t.Errorf("Inject under a refused directive = %v, want nil", err)
			}
			if got := e.Stats().Directives.Refused[tt.reason]; got != 1 {
				t.Errorf("Stats.Directives.Refused[%q] = %d, want 1", tt.reason, got)
			}
			if chaos.DirectiveToken(ctx) != tt.token {
				t.Error("a refused directive's token is not kept to forward")
			}
		})
	}
}

func TestDirectiveRequestMaxRate(t *testing.T) {
	// RequestPolicy.MaxRate replaces the policy's MaxRate for directives:
	// a test user's request may fail every time where the plan may fail 5%.
	key := testKey("k1")
	pol := chaos.ProductionPolicy()
	pol.Requests = chaos.RequestPolicy{Allow: true, MaxRate: 1}
	e := chaos.New(chaos.WithPolicy(pol), chaos.WithDirectiveKeys(key))
	ctx, err := e.AcceptDirective(context.Background(), mint(t, key, "payments.charge=delay(300ms)", time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if d := e.Point("payments.charge").Decide(ctx); d.Kind() != faults.KindLatency || d.Delay() != 300*time.Millisecond {
		t.Errorf("Decide = %v %v, want a 300ms delay", d.Kind(), d.Delay())
	}
	if err := e.Apply(chaos.MustParsePlan("payments.charge=error")); !errors.Is(err, chaos.ErrRefused) {
		t.Errorf("a plan at rate 1 = %v, want it refused by the policy's MaxRate", err)
	}
}

func TestDirectiveReplayLimit(t *testing.T) {
	key := testKey("k1")
	e := chaos.New(chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true, MaxUses: 3}}), chaos.WithDirectiveKeys(key))
	tok := mint(t, key, "a=error", time.Minute)
	for i := range 5 {
		_, err := e.AcceptDirective(context.Background(), tok)
		if (i < 3) != (err == nil) {
			t.Errorf("use %d: %v", i+1, err)
		}
	}
	st := e.Stats().Directives
	if st.Accepted != 3 || st.Refused[chaos.RefusedReplayed] != 2 {
		t.Errorf("Stats.Directives = %+v, want 3 accepted and 2 replayed", st)
	}
}

func TestDirectiveExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := testKey("k1")
		e := chaos.New(chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(key))
		tok := mint(t, key, "a=error", 10*time.Second)
		ctx, err := e.AcceptDirective(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		p := e.Point("a")
		if p.Inject(ctx) == nil {
			t.Fatal("no fault before expiry")
		}
		time.Sleep(10 * time.Second)
		if err := p.Inject(ctx); err != nil {
			t.Errorf("Inject after expiry = %v, want nil: a request that outlives its directive gets no more faults", err)
		}
		if _, err := e.AcceptDirective(context.Background(), tok); err == nil || !strings.Contains(err.Error(), chaos.RefusedExpired) {
			t.Errorf("AcceptDirective after expiry = %v, want expired", err)
		}
	})
}

func TestDirectiveEventsNameIt(t *testing.T) {
	key := testKey("k1")
	var got []chaos.Event
	e := chaos.New(chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(key),
		chaos.WithObserver(chaos.ObserverFunc(func(_ context.Context, ev chaos.Event) { got = append(got, ev) })))
	tok, err := chaos.Directive{ID: "req-7", Plan: chaos.MustParsePlan("a=error"), Expires: time.Now().Add(time.Minute)}.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := e.AcceptDirective(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Point("a").Inject(ctx)
	if len(got) != 1 || got[0].Directive != "req-7" || got[0].Point != "a" {
		t.Errorf("events = %+v, want one naming directive req-7", got)
	}
}

func TestDirectiveSeedReplays(t *testing.T) {
	// With a seed, a directive's decisions are the same at every engine,
	// whatever its own seed: the run replays.
	key := testKey("k1")
	now := time.Now()
	tok, err := chaos.Directive{Seed: 99, Plan: chaos.MustParsePlan("a=30%error"), Expires: now.Add(time.Minute)}.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) string {
		e := chaos.New(chaos.WithSeed(seed), chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(key))
		ctx, err := e.AcceptDirective(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for range 64 {
			if e.Point("a").Inject(ctx) != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := run(1), run(2)
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("decisions differ across engines or are degenerate:\n%s\n%s", a, b)
	}
}

func TestDirectiveRefusalsLoggedOnceAMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var buf strings.Builder
		key := testKey("k1")
		e := chaos.New(chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(key), chaos.WithLogger(newTextLogger(&buf, &mu)))
		forged := mint(t, testKey("k2"), "a=error", time.Minute)
		lines := func() int {
			mu.Lock()
			defer mu.Unlock()
			return strings.Count(buf.String(), "directive refused")
		}
		for range 100 {
			_, _ = e.AcceptDirective(context.Background(), forged)
		}
		if n := lines(); n != 1 {
			t.Fatalf("100 refusals within a minute logged %d lines, want 1", n)
		}
		time.Sleep(time.Minute)
		_, _ = e.AcceptDirective(context.Background(), "garbage")
		mu.Lock()
		last := buf.String()[strings.LastIndex(buf.String(), "directive refused"):]
		mu.Unlock()
		if n := lines(); n != 2 || !strings.Contains(last, "refusals=100") || !strings.Contains(last, "reason=malformed") {
			t.Errorf("a minute later: %d lines, last %q; want 2, counting the 99 unlogged and this one", n, last)
		}
		if got := e.Stats().Directives.Refused; got[chaos.RefusedKey] != 100 || got[chaos.RefusedMalformed] != 1 {
			t.Errorf("refusals counted %v", got)
		}
	})
}

func TestAcceptDirectiveNotAToken(t *testing.T) {
	// A value that is not a token could add members to the baggage it is
	// forwarded in: it is refused and not carried.
	e := chaos.New(chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(testKey("k1")))
	for _, v := range []string{"a,faultline=b", "x;y", "a b", "é", strings.Repeat("a", chaos.MaxDirectiveSize+1)} {
		ctx, err := e.AcceptDirective(context.Background(), v)
		if err == nil || chaos.DirectiveToken(ctx) != "" {
			t.Errorf("AcceptDirective(%.20q) = %v, token %q; want refused and not carried", v, err, chaos.DirectiveToken(ctx))
		}
		if chaos.DirectiveToken(chaos.WithDirectiveToken(context.Background(), v)) != "" {
			t.Errorf("WithDirectiveToken(%.20q) carried it", v)
		}
	}
}
