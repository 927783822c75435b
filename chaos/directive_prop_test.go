package chaos_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"pgregory.net/rapid"
)

// The properties of request directives (issue 16): a valid directive
// within the policy is always accepted, and a tampered, expired or
// misdirected one never is, nor does it fire anything.

// propKeys are the keys the verifiers in these properties hold; "k1" and
// "k3" differ in one bit, so a bit flip can name another key it holds.
var propKeys = []chaos.DirectiveKey{testKey("k1"), testKey("k3"), testKey("rot-2026")}

// firePoint is the point the first rule of every generated directive
// names, at rate 1, so that a directive that is accepted fires there, and
// one that is not is seen not to.
const firePoint = "prop.fire"

// fireRule is that first rule.
var fireRule = chaos.Rule{Point: firePoint, Rate: 1, Fault: faults.Fault{Kind: faults.KindError, Message: "from the directive"}}

// genDirectiveID draws a directive id: none (Sign draws one), or one of
// the allowed form.
func genDirectiveID() *rapid.Generator[string] {
	return rapid.OneOf(rapid.Just(""),
		rapid.StringOfN(rapid.RuneFrom([]rune("abcxyzABZ0189-_")), 1, 64, -1))
}

// genDirective draws a directive live at now: fireRule, then up to 15 of
// the shared generator's rules, an issuer, a seed, a TTL of whole seconds
// up to maxTTL, and an issue time, with nanoseconds, from DirectiveClockSkew
// after now back to a second before its expiry (to the second, as tokens
// keep times).
func genDirective(now time.Time, maxTTL time.Duration) *rapid.Generator[chaos.Directive] {
	return rapid.Custom(func(t *rapid.T) chaos.Directive {
		plan := genDirectivePlan().Draw(t, "plan")
		issuer := rapid.OneOf(rapid.Just(""), rapid.SampledFrom([]string{"alice", "ci"}), genText(1)).
			Filter(utf8.ValidString).Draw(t, "issuer") // JSON carries only valid UTF-8
		ttl := time.Duration(rapid.Int64Range(1, int64(maxTTL/time.Second)).Draw(t, "ttl seconds")) * time.Second
		// The issue time, to the second, is age before now's second.
		age := time.Duration(rapid.Int64Range(-int64(chaos.DirectiveClockSkew/time.Second), int64(ttl/time.Second)-1).Draw(t, "age seconds")) * time.Second
		issued := now.Truncate(time.Second).Add(-age).Add(time.Duration(rapid.Int64Range(0, int64(time.Second)-1).Draw(t, "issued nanos")))
		return chaos.Directive{
			ID:       genDirectiveID().Draw(t, "id"),
			Issuer:   issuer,
			Seed:     rapid.OneOf(rapid.Just(uint64(0)), rapid.Uint64()).Draw(t, "seed"),
			Plan:     plan,
			IssuedAt: issued,
			Expires:  issued.Add(ttl),
		}
	})
}

// genDirectivePlan draws fireRule and up to 15 more valid rules, with
// only valid UTF-8, which is all JSON carries unchanged.
func genDirectivePlan() *rapid.Generator[chaos.Plan] {
	return rapid.Custom(func(t *rapid.T) chaos.Plan {
		return chaos.Plan{
			Version: rapid.OneOf(rapid.Just(""), genText(1)).Draw(t, "version"),
			Rules:   append([]chaos.Rule{fireRule}, rapid.SliceOfN(genRule(), 0, chaos.MaxDirectiveRules-1).Draw(t, "rules")...),
		}
	}).Filter(validUTF8)
}

// signFit signs d with key, dropping its last rules while its token would
// exceed MaxDirectiveSize, and returns the token and the directive signed.
func signFit(t *rapid.T, d chaos.Directive, key chaos.DirectiveKey) (string, chaos.Directive) {
	t.Helper()
	for {
		tok, err := d.Sign(key)
		if err == nil {
			return tok, d
		}
		if !strings.Contains(err.Error(), "exceeds") || len(d.Plan.Rules) == 1 {
			t.Fatalf("Sign(%+v) = %v", d, err)
		}
		d.Plan.Rules = d.Plan.Rules[:len(d.Plan.Rules)-1]
	}
}

// sameDirective reports how got, as VerifyDirective returned it, differs
// from want, as it was signed with the key keyID; "" if it does not.
func sameDirective(got, want chaos.Directive, keyID string) string {
	var diffs []string
	switch {
	case want.ID == "" && (len(got.ID) != 16 || strings.Trim(got.ID, "0123456789abcdef") != ""):
		diffs = append(diffs, "id "+got.ID+" is not the 16 hex digits Sign draws")
	case want.ID != "" && got.ID != want.ID:
		diffs = append(diffs, "id "+got.ID)
	}
	if got.Issuer != want.Issuer {
		diffs = append(diffs, "issuer "+got.Issuer)
	}
	if got.Seed != want.Seed {
		diffs = append(diffs, "seed")
	}
	if got.KeyID != keyID {
		diffs = append(diffs, "key id "+got.KeyID)
	}
	if !got.IssuedAt.Equal(want.IssuedAt.Truncate(time.Second)) {
		diffs = append(diffs, "issued "+got.IssuedAt.String())
	}
	if !got.Expires.Equal(want.Expires.Truncate(time.Second)) {
		diffs = append(diffs, "expires "+got.Expires.String())
	}
	if !got.Plan.Equal(want.Plan) {
		diffs = append(diffs, "plan "+got.Plan.String()+" version "+got.Plan.Version)
	}
	return strings.Join(diffs, "; ")
}

// genRequestPolicy draws a policy that allows d: a MaxTTL of 0 (the
// default) or at least d's, any MaxUses, and no issuers or a list that
// holds d's.
func genRequestPolicy(d chaos.Directive) *rapid.Generator[chaos.Policy] {
	return rapid.Custom(func(t *rapid.T) chaos.Policy {
		rp := chaos.RequestPolicy{Allow: true}
		if ttl := d.Expires.Truncate(time.Second).Sub(d.IssuedAt.Truncate(time.Second)); rapid.Bool().Draw(t, "max ttl") {
			rp.MaxTTL = ttl + time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "ttl slack"))
		} else if ttl > chaos.DefaultDirectiveTTL {
			rp.MaxTTL = ttl
		}
		rp.MaxUses = rapid.IntRange(0, 5).Draw(t, "max uses")
		if rapid.Bool().Draw(t, "issuers") {
			rp.Issuers = []string{"someone else", d.Issuer}
		}
		return chaos.Policy{Requests: rp}
	})
}

// fires reports whether the point firePoint of e fires under ctx.
func fires(e *chaos.Engine, ctx context.Context) bool {
	return e.Point(firePoint).Decide(ctx).Fired()
}

// bubbleStart is when time starts in a synctest bubble.
var bubbleStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// inBubble runs f in a synctest bubble, where time starts at bubbleStart
// and moves only when f sleeps, and fails rt with what f returns, if
// anything. rapid.Check cannot run in a bubble, nor can rt fail from one,
// so each case draws first, outside, then runs the engine in its own.
func inBubble(t *testing.T, rt *rapid.T, f func() string) {
	rt.Helper()
	var msg string
	synctest.Test(t, func(*testing.T) {
		if now := time.Now(); !now.Equal(bubbleStart) {
			msg = "a synctest bubble starts at " + now.String()
			return
		}
		msg = f()
	})
	if msg != "" {
		rt.Fatalf("%s", msg)
	}
}

// TestPropDirectiveValidAccepted: a valid directive, signed with any key
// the verifier holds, verifies at any instant it is live to an equal
// directive (times to the second), and an engine whose policy allows it
// accepts it and fires its rules under the returned context.
func TestPropDirectiveValidAccepted(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		key := rapid.SampledFrom(propKeys).Draw(rt, "key")
		tok, d := signFit(rt, genDirective(bubbleStart, 2*chaos.DefaultDirectiveTTL).Draw(rt, "directive"), key)
		// Any instant in the second the bubble starts in is live.
		now := bubbleStart.Add(time.Duration(rapid.Int64Range(0, int64(time.Second)-1).Draw(rt, "now nanos")))
		got, err := chaos.VerifyDirective(tok, now, propKeys...)
		if err != nil {
			rt.Fatalf("VerifyDirective refused a valid directive: %v\ntoken: %s", err, tok)
		}
		if diff := sameDirective(got, d, key.ID); diff != "" {
			rt.Fatalf("VerifyDirective changed the directive: %s\nsigned: %+v\n   got: %+v", diff, d, got)
		}

		pol := genRequestPolicy(d).Draw(rt, "policy")
		inBubble(t, rt, func() string {
			e := chaos.New(chaos.WithPolicy(pol), chaos.WithDirectiveKeys(propKeys...))
			ctx, err := e.AcceptDirective(context.Background(), tok)
			switch acc, ok := chaos.DirectiveFrom(ctx); {
			case err != nil:
				return fmt.Sprintf("AcceptDirective under %+v refused a directive within it: %v", pol.Requests, err)
			case !ok || sameDirective(acc, d, key.ID) != "":
				return fmt.Sprintf("DirectiveFrom = %+v, %v; want the directive", acc, ok)
			case !fires(e, ctx):
				return "an accepted directive's rule at rate 1 did not fire"
			case fires(e, context.Background()):
				return "a directive's rule fired for a request that does not carry it"
			}
			return ""
		})
	})
}

// tamper is a way to spoil a valid token.
type tamper struct {
	name string
	// spoil returns the spoiled token, and the reasons it may be refused
	// for.
	spoil func(t *rapid.T, tok string, d chaos.Directive, key chaos.DirectiveKey) (string, []string)
}

// badSig are the reasons a token whose signed text changed is refused
// for: the signature is checked before anything the text says is used.
var badSig = []string{chaos.RefusedMalformed, chaos.RefusedKey, chaos.RefusedSignature, chaos.RefusedOversized}

// reencodings re-encode a payload's JSON with the alphabets and padding
// base64 offers.
var reencodings = []*base64.Encoding{base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding}

var tampers = []tamper{
	{"bit flip", func(t *rapid.T, tok string, _ chaos.Directive, _ chaos.DirectiveKey) (string, []string) {
		b := []byte(tok)
		b[rapid.IntRange(0, len(b)-1).Draw(t, "byte")] ^= 1 << rapid.IntRange(0, 7).Draw(t, "bit")
		return string(b), badSig
	}},
	{"truncation", func(t *rapid.T, tok string, _ chaos.Directive, _ chaos.DirectiveKey) (string, []string) {
		return tok[:rapid.IntRange(0, len(tok)-1).Draw(t, "length")], badSig
	}},
	{"payload re-encoded", func(t *rapid.T, tok string, _ chaos.Directive, _ chaos.DirectiveKey) (string, []string) {
		parts := strings.Split(tok, ".")
		raw, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatalf("payload: %v", err)
		}
		parts[2] = rapid.SampledFrom(reencodings).Draw(t, "encoding").EncodeToString(raw)
		return strings.Join(parts, "."), badSig
	}},
	{"payload JSON rewritten", func(t *rapid.T, tok string, _ chaos.Directive, _ chaos.DirectiveKey) (string, []string) {
		parts := strings.Split(tok, ".")
		raw, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			t.Fatalf("payload: %v", err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatalf("payload: %v", err)
		}
		keys := rapid.Permutation(slices.Sorted(maps.Keys(fields))).Draw(t, "key order")
		sep := rapid.SampledFrom([]string{",", ", ", ",\n"}).Draw(t, "separator")
		colon := rapid.SampledFrom([]string{":", ": ", " : "}).Draw(t, "colon")
		var b strings.Builder
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(`"` + k + `"` + colon + string(fields[k]))
		}
		b.WriteString("}")
		parts[2] = base64.RawURLEncoding.EncodeToString([]byte(b.String()))
		return strings.Join(parts, "."), badSig
	}},
	{"signature re-encoded", func(t *rapid.T, tok string, _ chaos.Directive, _ chaos.DirectiveKey) (string, []string) {
		// The same 32 bytes written otherwise: padded, in the standard
		// alphabet, or with the unused low bits of the last character set.
		i := strings.LastIndexByte(tok, '.') + 1
		sig, err := base64.RawURLEncoding.DecodeString(tok[i:])
		if err != nil {
			t.Fatalf("signature: %v", err)
		}
		if rapid.Bool().Draw(t, "unused bits") {
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			last := strings.IndexByte(alphabet, tok[len(tok)-1])
			return tok[:len(tok)-1] + string(alphabet[last|rapid.IntRange(1, 3).Draw(t, "low bits")]), []string{chaos.RefusedSignature}
		}
		return tok[:i] + rapid.SampledFrom(reencodings).Draw(t, "encoding").EncodeToString(sig), badSig
	}},
	{"signature bit flip", func(t *rapid.T, tok string, _ chaos.Directive, _ chaos.DirectiveKey) (string, []string) {
		b := []byte(tok)
		b[len(b)-1-rapid.IntRange(0, 3).Draw(t, "byte from the end")] ^= 1 << rapid.IntRange(0, 7).Draw(t, "bit")
		return string(b), badSig
	}},
	{"key id of another held key", func(t *rapid.T, tok string, _ chaos.Directive, key chaos.DirectiveKey) (string, []string) {
		other := rapid.SampledFrom(slices.DeleteFunc(slices.Clone(propKeys), func(k chaos.DirectiveKey) bool { return k.ID == key.ID })).Draw(t, "other key")
		parts := strings.Split(tok, ".")
		parts[1] = other.ID
		return strings.Join(parts, "."), []string{chaos.RefusedSignature}
	}},
	{"signature of another token", func(t *rapid.T, tok string, d chaos.Directive, key chaos.DirectiveKey) (string, []string) {
		o := d
		switch rapid.IntRange(0, 3).Draw(t, "what differs") {
		case 0:
			o.ID += "x"
		case 1:
			o.Seed++
		case 2:
			o.Expires = o.Expires.Add(-time.Second)
		case 3:
			o.Plan.Rules = []chaos.Rule{o.Plan.Rules[0]}
			o.Plan.Rules[0].Fault.Message += "!"
		}
		if o.ID == "" || len(o.ID) > 64 {
			o.ID = "other"
		}
		if !o.Expires.After(o.IssuedAt) {
			o.Expires = d.Expires.Add(time.Second)
		}
		other, err := o.Sign(key)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		parts := strings.Split(tok, ".")
		parts[3] = other[strings.LastIndexByte(other, '.')+1:]
		return strings.Join(parts, "."), []string{chaos.RefusedSignature}
	}},
	{"signed with another secret", func(t *rapid.T, _ string, d chaos.Directive, key chaos.DirectiveKey) (string, []string) {
		forged := chaos.DirectiveKey{ID: key.ID, Secret: []byte(rapid.StringN(32, 64, -1).Draw(t, "secret"))}
		if string(forged.Secret) == string(key.Secret) {
			forged.Secret = append(forged.Secret, 'x')
		}
		tok, err := d.Sign(forged)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		return tok, []string{chaos.RefusedSignature}
	}},
	{"issued in the future", func(t *rapid.T, _ string, d chaos.Directive, key chaos.DirectiveKey) (string, []string) {
		ahead := chaos.DirectiveClockSkew + time.Duration(rapid.Int64Range(1, 3600).Draw(t, "seconds ahead"))*time.Second
		ttl := d.Expires.Sub(d.IssuedAt)
		d.IssuedAt = bubbleStart.Add(ahead)
		d.Expires = d.IssuedAt.Add(ttl)
		tok, err := d.Sign(key)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		return tok, []string{chaos.RefusedExpired}
	}},
}

// refusal says how err fails to refuse a directive for one of reasons,
// as a *DirectiveError matching ErrDirectiveRefused; "" if it does.
func refusal(what string, err error, reasons []string) string {
	var de *chaos.DirectiveError
	switch {
	case err == nil:
		return what + " accepted"
	case !errors.As(err, &de) || !errors.Is(err, chaos.ErrDirectiveRefused):
		return fmt.Sprintf("%s: %v is not a *DirectiveError matching ErrDirectiveRefused", what, err)
	case !slices.Contains(reasons, de.Reason):
		return fmt.Sprintf("%s refused for %q, want one of %q: %v", what, de.Reason, reasons, err)
	}
	return ""
}

// refusedFor fails t unless err refuses a directive for one of reasons.
func refusedFor(t *rapid.T, what string, err error, reasons []string) {
	t.Helper()
	if msg := refusal(what, err, reasons); msg != "" {
		t.Fatalf("%s", msg)
	}
}

// TestPropDirectiveTamperedRefused: a token spoiled in any way — a bit
// flipped anywhere, cut at any length, its payload re-encoded in another
// base64 form or its JSON rewritten with the old signature, the key id of
// another key the verifier holds, the signature of another token, another
// secret under the same key id, an issue time in the future — is never
// verified nor accepted, and nothing fires under the context
// AcceptDirective returns for it. Spoilings that leave the token as it was
// (a base64 re-encoding with nothing to change) are skipped.
func TestPropDirectiveTamperedRefused(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		key := rapid.SampledFrom(propKeys).Draw(rt, "key")
		tok, d := signFit(rt, genDirective(bubbleStart, chaos.DefaultDirectiveTTL).Draw(rt, "directive"), key)
		tm := rapid.SampledFrom(tampers).Draw(rt, "tamper")
		bad, reasons := tm.spoil(rt, tok, d, key)
		if bad == tok {
			rt.Skip("the spoiling left the token as it was")
		}
		_, err := chaos.VerifyDirective(bad, bubbleStart, propKeys...)
		refusedFor(rt, "VerifyDirective of a token spoiled by "+tm.name, err, reasons)

		inBubble(t, rt, func() string {
			e := chaos.New(chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(propKeys...))
			ctx, err := e.AcceptDirective(context.Background(), bad)
			if msg := refusal("AcceptDirective of a token spoiled by "+tm.name, err, reasons); msg != "" {
				return msg
			}
			if _, ok := chaos.DirectiveFrom(ctx); ok || fires(e, ctx) {
				return "a token spoiled by " + tm.name + " is in force"
			}
			if st := e.Stats().Directives; st.Accepted != 0 {
				return fmt.Sprintf("Stats.Directives = %+v, want none accepted", st)
			}
			return ""
		})
	})
}

// TestPropDirectiveExpiredRefused: a valid directive is refused at every
// instant from its expiry on, by VerifyDirective, by an engine that never
// saw it and by one that accepted it before (from its cache), and the
// requests that carry it stop firing then.
func TestPropDirectiveExpiredRefused(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		key := rapid.SampledFrom(propKeys).Draw(rt, "key")
		tok, d := signFit(rt, genDirective(bubbleStart, chaos.DefaultDirectiveTTL).Draw(rt, "directive"), key)
		expiry := d.Expires.Truncate(time.Second)
		past := time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(rt, "past expiry"))
		_, err := chaos.VerifyDirective(tok, expiry.Add(past), propKeys...)
		refusedFor(rt, "VerifyDirective past expiry", err, []string{chaos.RefusedExpired})

		inBubble(t, rt, func() string {
			seen := chaos.New(chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(propKeys...))
			ctx, err := seen.AcceptDirective(context.Background(), tok)
			if err != nil {
				return fmt.Sprintf("AcceptDirective of a valid directive: %v", err)
			}
			time.Sleep(expiry.Add(past).Sub(time.Now()))
			_, err = seen.AcceptDirective(context.Background(), tok)
			if msg := refusal("AcceptDirective past expiry, of a directive accepted before", err, []string{chaos.RefusedExpired}); msg != "" {
				return msg
			}
			if fires(seen, ctx) {
				return "a request that outlives its directive still gets its faults"
			}
			fresh := chaos.New(chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(propKeys...))
			ctx, err = fresh.AcceptDirective(context.Background(), tok)
			if msg := refusal("AcceptDirective past expiry", err, []string{chaos.RefusedExpired}); msg != "" {
				return msg
			}
			if fires(fresh, ctx) {
				return "an expired directive fired"
			}
			return ""
		})
	})
}

// TestPropDirectiveOutsidePolicyRefused: a valid directive that lives
// longer than the policy's MaxTTL, comes from an issuer the policy does not
// list, is signed with a key the engine does not hold, or is offered to an
// engine that does not allow directives, is refused for that reason and
// fires nothing.
func TestPropDirectiveOutsidePolicyRefused(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		key := rapid.SampledFrom(propKeys).Draw(rt, "key")
		tok, d := signFit(rt, genDirective(bubbleStart, chaos.DefaultDirectiveTTL).Draw(rt, "directive"), key)
		ttl := d.Expires.Truncate(time.Second).Sub(d.IssuedAt.Truncate(time.Second))
		pol, keys := requestPolicy(), propKeys
		var reason string
		switch rapid.IntRange(0, 3).Draw(rt, "outside") {
		case 0:
			pol.Requests.MaxTTL = ttl - time.Duration(rapid.Int64Range(1, int64(ttl)-1).Draw(rt, "ttl short by"))
			reason = chaos.RefusedTTL
		case 1:
			pol.Requests.Issuers = []string{d.Issuer + "-other", "ci-" + d.Issuer}
			reason = chaos.RefusedIssuer
		case 2:
			keys = slices.DeleteFunc(slices.Clone(propKeys), func(k chaos.DirectiveKey) bool { return k.ID == key.ID })
			reason = chaos.RefusedKey
		case 3:
			pol.Requests.Allow = false
			reason = chaos.RefusedNotAllowed
		}
		inBubble(t, rt, func() string {
			e := chaos.New(chaos.WithPolicy(pol), chaos.WithDirectiveKeys(keys...))
			ctx, err := e.AcceptDirective(context.Background(), tok)
			if msg := refusal("AcceptDirective outside the policy", err, []string{reason}); msg != "" {
				return msg
			}
			if fires(e, ctx) {
				return "a directive outside the policy fired"
			}
			if got := e.Stats().Directives.Refused[reason]; got != 1 {
				return fmt.Sprintf("Stats.Directives.Refused[%q] = %d, want 1", reason, got)
			}
			return ""
		})
	})
}

// directiveMachine is the model of an engine offered directives: how
// often each token was accepted, the contexts requests got, the kill
// switch, and whether a plan is applied.
type directiveMachine struct {
	e        *chaos.Engine
	a, b     *chaos.Point
	maxUses  int
	tokens   []string
	uses     []int // accepted, by token, as AcceptDirective answered
	reqs     []machineRequest
	killed   bool
	planA    bool // the applied plan names point a
	planB    bool // the applied plan names point b
	accepted uint64
	replayed uint64
}

// machineRequest is a context a request got, and which token it carries
// in force (-1 for none).
type machineRequest struct {
	ctx   context.Context
	token int
}

func (m *directiveMachine) accept(t *rapid.T) {
	i := rapid.IntRange(0, len(m.tokens)-1).Draw(t, "token")
	ctx, err := m.e.AcceptDirective(context.Background(), m.tokens[i])
	if m.uses[i] < m.maxUses {
		if err != nil {
			t.Fatalf("use %d of token %d (MaxUses %d): %v", m.uses[i]+1, i, m.maxUses, err)
		}
		m.uses[i]++
		m.accepted++
		m.reqs = append(m.reqs, machineRequest{ctx, i})
		return
	}
	refusedFor(t, "a token accepted MaxUses times", err, []string{chaos.RefusedReplayed})
	m.replayed++
	m.reqs = append(m.reqs, machineRequest{ctx, -1})
}

func (m *directiveMachine) acceptTampered(t *rapid.T) {
	b := []byte(rapid.SampledFrom(m.tokens).Draw(t, "token"))
	b[rapid.IntRange(0, len(b)-1).Draw(t, "byte")] ^= 1 << rapid.IntRange(0, 7).Draw(t, "bit")
	ctx, err := m.e.AcceptDirective(context.Background(), string(b))
	refusedFor(t, "a tampered token", err, badSig)
	m.reqs = append(m.reqs, machineRequest{ctx, -1})
}

func (m *directiveMachine) forwardOnly(t *rapid.T) {
	// A context that carries a token to forward, not accepted here.
	tok := rapid.SampledFrom(m.tokens).Draw(t, "token")
	m.reqs = append(m.reqs, machineRequest{chaos.WithDirectiveToken(context.Background(), tok), -1})
}

func (m *directiveMachine) kill(*rapid.T) {
	m.e.Disable("property")
	m.killed, m.planA, m.planB = true, false, false
}

func (m *directiveMachine) rearm(*rapid.T) {
	m.e.Rearm("property")
	m.killed = false
}

func (m *directiveMachine) apply(t *rapid.T) {
	text := rapid.SampledFrom([]string{"sm.b=error(plan)", "sm.a=error(plan);sm.b=error(plan)", "sm.a=error(plan)", ""}).Draw(t, "plan")
	var plan chaos.Plan
	if text != "" {
		plan = chaos.MustParsePlan(text)
	}
	err := m.e.Apply(plan)
	if m.killed {
		if !errors.Is(err, chaos.ErrDisabled) {
			t.Fatalf("Apply with the kill switch thrown = %v, want ErrDisabled", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Apply(%q): %v", text, err)
	}
	m.planA, m.planB = strings.Contains(text, "sm.a"), strings.Contains(text, "sm.b")
}

func (m *directiveMachine) fire(t *rapid.T) {
	if len(m.reqs) == 0 {
		t.Skip("no request yet")
	}
	r := rapid.SampledFrom(m.reqs).Draw(t, "request")
	var want string // the message of the error that fires at a, "" for none
	switch {
	case m.killed:
	case r.token >= 0:
		want = "tok" + string(rune('0'+r.token))
	case m.planA:
		want = "plan"
	}
	err := m.a.Inject(r.ctx)
	switch {
	case want == "" && err != nil:
		t.Fatalf("point a fired %v, want nothing (killed %v, token %d, plan %v)", err, m.killed, r.token, m.planA)
	case want != "" && (err == nil || !strings.HasSuffix(err.Error(), ": "+want)):
		t.Fatalf("point a fired %v, want error(%s)", err, want)
	}
	if got, wantB := m.b.Decide(r.ctx).Fired(), m.planB && !m.killed; got != wantB {
		t.Fatalf("point b fired %v, want %v (the plan's rule, under any directive)", got, wantB)
	}
}

func (m *directiveMachine) check(t *rapid.T) {
	st := m.e.Stats().Directives
	if st.Accepted != m.accepted || st.Refused[chaos.RefusedReplayed] != m.replayed {
		t.Fatalf("Stats.Directives = %+v, want %d accepted and %d replayed", st, m.accepted, m.replayed)
	}
	for i, n := range m.uses {
		if n > m.maxUses {
			t.Fatalf("token %d accepted %d times, over MaxUses %d", i, n, m.maxUses)
		}
	}
}

// TestPropDirectiveMachine runs random sequences of directives accepted,
// replayed, tampered with and only forwarded, kill switch thrown and
// re-armed, plans applied, and calls at two points, against a model: no
// token is accepted more than MaxUses times, a call fires its request's
// directive's rule before the plan's and only under a context the engine
// accepted it for, nothing fires while the kill switch is thrown, and the
// counts in Stats agree.
func TestPropDirectiveMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := testKey("k1")
		maxUses := rapid.IntRange(1, 4).Draw(t, "max uses")
		e := chaos.New(chaos.WithSeed(1), chaos.WithDirectiveKeys(key),
			chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true, MaxUses: maxUses}}))
		m := &directiveMachine{e: e, a: e.Point("sm.a"), b: e.Point("sm.b"), maxUses: maxUses}
		for i := range rapid.IntRange(1, 4).Draw(t, "tokens") {
			tok, err := chaos.Directive{Plan: chaos.MustParsePlan("sm.a=error(tok" + string(rune('0'+i)) + ")"),
				Expires: time.Now().Add(5 * time.Minute)}.Sign(key)
			if err != nil {
				t.Fatal(err)
			}
			m.tokens = append(m.tokens, tok)
		}
		m.uses = make([]int, len(m.tokens))
		t.Repeat(map[string]func(*rapid.T){
			"accept":          m.accept,
			"accept tampered": m.acceptTampered,
			"forward only":    m.forwardOnly,
			"kill":            m.kill,
			"rearm":           m.rearm,
			"apply":           m.apply,
			"fire":            m.fire,
			"":                m.check,
		})
	})
}

// TestDirectiveMaxUsesConcurrent: however many requests bring a new
// token at once, the engine accepts it at most MaxUses times, and exactly
// that many when more requests than that bring it. A race, so each case
// runs many rounds, each with a fresh engine and token.
func TestDirectiveMaxUsesConcurrent(t *testing.T) {
	key := testKey("k1")
	tests := []struct{ maxUses, requests int }{{1, 2}, {1, 8}, {2, 16}, {3, 3}, {4, 16}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max %d of %d", tt.maxUses, tt.requests), func(t *testing.T) {
			for round := range 200 {
				e := chaos.New(chaos.WithDirectiveKeys(key),
					chaos.WithPolicy(chaos.Policy{Requests: chaos.RequestPolicy{Allow: true, MaxUses: tt.maxUses}}))
				tok := mint(t, key, "a=error", time.Minute)
				var (
					wg       sync.WaitGroup
					accepted atomic.Int64
					start    = make(chan struct{})
				)
				for range tt.requests {
					wg.Go(func() {
						<-start
						if _, err := e.AcceptDirective(context.Background(), tok); err == nil {
							accepted.Add(1)
						}
					})
				}
				close(start)
				wg.Wait()
				if got, want := accepted.Load(), int64(min(tt.requests, tt.maxUses)); got != want {
					t.Fatalf("round %d: %d requests bringing one new token at once: %d accepted, want %d", round, tt.requests, got, want)
				}
				if st := e.Stats().Directives; st.Accepted != uint64(accepted.Load()) {
					t.Fatalf("round %d: Stats.Directives.Accepted = %d, want %d", round, st.Accepted, accepted.Load())
				}
			}
		})
	}
}

// TestDirectiveSubSecondTTL pins what a directive living less than a
// second does: tokens keep times to the second, so Sign must not return a
// token that every verifier then refuses as malformed.
func TestDirectiveSubSecondTTL(t *testing.T) {
	key := testKey("k1")
	issued := time.Date(2026, 11, 27, 10, 0, 0, 100_000_000, time.UTC)
	d := chaos.Directive{Plan: chaos.MustParsePlan("a=error"), IssuedAt: issued, Expires: issued.Add(500 * time.Millisecond)}
	tok, err := d.Sign(key)
	if err != nil {
		return // refused at signing: fine
	}
	if _, err := chaos.VerifyDirective(tok, issued, key); err != nil {
		t.Errorf("Sign returned a token that VerifyDirective refuses: %v", err)
	}
}
