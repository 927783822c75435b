package chaos_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// fuzzNow is the instant FuzzVerifyDirective verifies at, give or take
// the fuzzed offset; its seed tokens are live at it.
var fuzzNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// refusalReasons are the reasons a directive may be refused for.
var refusalReasons = []string{chaos.RefusedOversized, chaos.RefusedMalformed, chaos.RefusedKey, chaos.RefusedSignature,
	chaos.RefusedExpired, chaos.RefusedTTL, chaos.RefusedIssuer, chaos.RefusedPlan, chaos.RefusedReplayed, chaos.RefusedNotAllowed}

// signPayload returns the token of payload, a directive's JSON, signed
// with key as the token format documents it: the HMAC-SHA256 of
// "faultline-directive.v1.KEYID.PAYLOAD", all base64url without padding.
// It lets the fuzzer reach the decoder behind the signature check.
func signPayload(key chaos.DirectiveKey, payload []byte) string {
	return signSegment(key, base64.RawURLEncoding.EncodeToString(payload))
}

// signSegment returns the token of a payload segment, encoded or not,
// signed with key, so that the fuzzer reaches the payload's decoding too.
func signSegment(key chaos.DirectiveKey, segment string) string {
	body := "v1." + key.ID + "." + segment
	m := hmac.New(sha256.New, key.Secret)
	m.Write([]byte("faultline-directive." + body))
	return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// payloadOf returns the JSON payload of a token.
func payloadOf(tb testing.TB, tok string) string {
	tb.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		tb.Fatal(err)
	}
	return string(raw)
}

// directiveSeeds are the directives the fuzz targets start from, valid
// from 09:59:30 to 10:09:30 (minus a second) on fuzzNow's day.
func directiveSeeds(tb testing.TB, issued time.Time) []string {
	tb.Helper()
	var toks []string
	for i, d := range []chaos.Directive{
		{ID: "checkout-42", Issuer: "alice", Seed: 7, Plan: chaos.MustParsePlan(`payments.charge=delay(300ms);"GET /orders/{id}"=50%status(503)[label.user=u1]`)},
		{ID: "a", Plan: chaos.MustParsePlan("db.query=error")},
		{ID: "b", Issuer: "ci", Plan: chaos.MustParsePlan("sql.*=1%badconn[after=10,every=3];a=10%delay(100ms)@3|error@1|abort[after=2]")},
		{ID: "c", Seed: 1 << 63, Plan: chaos.MustParsePlan("cache.get=delay(50ms,25ms)[until=2030-01-02T03:04:05Z];a=error(\"x;y\",503)[sticky=tenant,ttl=5m,instances=25%]")},
	} {
		d.Plan.Version = []string{"", "v3", "é", "\u2028"}[i]
		d.IssuedAt, d.Expires = issued, issued.Add(10*time.Minute-time.Second)
		tok, err := d.Sign(propKeys[i%len(propKeys)])
		if err != nil {
			tb.Fatal(err)
		}
		toks = append(toks, tok)
	}
	return toks
}

// addDirectiveSeeds adds to f each seed token as it is, spoiled in the
// ways TestVerifyDirectiveRefuses names, and its payload, plus payloads
// that stretch the decoder: unknown fields, trailing data, wrong types,
// huge numbers, JSON plans, escapes.
func addDirectiveSeeds(f *testing.F, toks []string) {
	for _, tok := range toks {
		parts := strings.Split(tok, ".")
		for _, s := range []string{tok, tok[:len(tok)-2], tok + "=", "v2." + strings.Join(parts[1:], "."),
			"v1.k9." + strings.Join(parts[2:], "."), strings.Join(parts[:3], "."), tok + "." + parts[3],
			strings.ReplaceAll(tok, "-", "+"), strings.Join([]string{parts[0], parts[1], parts[2] + "=", parts[3]}, ".")} {
			f.Add(s, uint8(asToken), int64(0))
		}
		f.Add(tok, uint8(asToken), int64(time.Hour))
		f.Add(tok, uint8(asToken), -int64(time.Hour))
		f.Add(payloadOf(f, tok), uint8(asPayload), int64(0))
		seg := strings.Split(tok, ".")[2]
		for _, s := range []string{seg, seg + "==", strings.ReplaceAll(seg, "-", "+"), seg[:len(seg)-1], "!!!", ""} {
			f.Add(s, uint8(asSegment), int64(0))
		}
	}
	for _, p := range []string{
		`{"id":"x","iat":1795773570,"exp":1795773900,"plan":"a=error"}`,
		`{"id":"x","iat":1795773570,"exp":1795773900,"plan":"a=error","extra":1}`,
		`{"id":"x","iat":1795773570,"exp":1795773900,"plan":"a=error"} {}`,
		`{"id":"x","iat":1795773570,"exp":1795773900,"plan":"a=error"}  `,
		`{"id":"x","iat":"1795860000","exp":1795773900,"plan":"a=error"}`,
		`{"id":"x","iat":1e30,"exp":1795773900,"plan":"a=error"}`,
		`{"id":"x","iat":-9223372036854775808,"exp":9223372036854775807,"plan":"a=error"}`,
		`{"id":"x","iat":1795773570,"exp":1795773900,"plan":"{\"rules\":[{\"point\":\"a\",\"fault\":{\"kind\":\"error\"}}]}"}`,
		`{"id":"x","iat":1795773570,"exp":1795773900,"plan":"a=error","seed":-1}`,
		`{"id":"x","ID":"y","iat":1795773570,"exp":1795773900,"plan":"a=error"}`,
		`{"id":"x\u0000","iat":1795773570,"exp":1795773900,"plan":"a=error"}`,
		`{"id":"x","iss":"\ud800","iat":1795773570,"exp":1795773900,"plan":"a=error","pv":"\u00e9"}`,
		`{"id":"x","iat":1795773570,"exp":1795773900,"plan":"` + strings.Repeat("a=error;", 17) + `"}`,
		`{"id":"x","iat":1795773570,"exp":1795773570,"plan":"a=error"}`,
		`{"id":"x","iat":1795773570,"exp":1795773900,"plan":""}`,
		`null`, `[]`, `{}`, `"x"`, ``, `{"id":`,
	} {
		f.Add(p, uint8(asPayload), int64(0))
	}
}

// How a fuzz case's input becomes a token.
const (
	asToken   = iota // the input is the token
	asPayload        // the input is a payload's JSON, encoded and signed
	asSegment        // the input is the payload segment as it is, signed
)

// tokenOf returns the token a fuzz case is about: in, as mode says.
func tokenOf(in string, mode uint8) string {
	switch mode % 3 {
	case asPayload:
		return signPayload(propKeys[0], []byte(in))
	case asSegment:
		return signSegment(propKeys[0], in)
	}
	return in
}

// FuzzVerifyDirective feeds VerifyDirective tokens, and payloads (JSON,
// or the segment as it is) that it signs so that they reach the decoder,
// at instants around the seeds' lifetime. It never panics; every error is a *DirectiveError matching
// ErrDirectiveRefused, with a known reason; and a directive it accepts
// signs again, with the key it names, to a token that verifies to the
// same directive.
func FuzzVerifyDirective(f *testing.F) {
	addDirectiveSeeds(f, directiveSeeds(f, fuzzNow.Add(-30*time.Second)))
	f.Fuzz(func(t *testing.T, in string, mode uint8, offset int64) {
		tok, now := tokenOf(in, mode), fuzzNow.Add(time.Duration(offset))
		d, err := chaos.VerifyDirective(tok, now, propKeys...)
		if err != nil {
			var de *chaos.DirectiveError
			if !errors.As(err, &de) || !errors.Is(err, chaos.ErrDirectiveRefused) || !slices.Contains(refusalReasons, de.Reason) {
				t.Fatalf("VerifyDirective(%q) = %v (%T), want a *DirectiveError with a known reason", tok, err, err)
			}
			if _, derr := chaos.VerifyDirective(tok, now, propKeys...); derr == nil || derr.Error() != err.Error() {
				t.Fatalf("VerifyDirective(%q) is not a function of its input: %v, then %v", tok, err, derr)
			}
			return
		}
		i := slices.IndexFunc(propKeys, func(k chaos.DirectiveKey) bool { return k.ID == d.KeyID })
		if i < 0 {
			t.Fatalf("VerifyDirective accepted %q under key id %q, which it does not hold", tok, d.KeyID)
		}
		again, err := d.Sign(propKeys[i])
		if err != nil {
			if strings.Contains(err.Error(), "exceeds") {
				return // the plan's canonical text is longer than the fuzzer's
			}
			t.Fatalf("accepted %q, but Sign of what it read = %v\ndirective: %+v", tok, err, d)
		}
		d2, err := chaos.VerifyDirective(again, now, propKeys...)
		if err != nil {
			t.Fatalf("accepted %q, re-signed as %q, refused: %v", tok, again, err)
		}
		if diff := sameDirective(d2, d, d.KeyID); diff != "" {
			t.Fatalf("accepted %q, re-signed as %q, which verifies to another directive: %s\n was %+v\n now %+v", tok, again, diff, d, d2)
		}
	})
}

// FuzzAcceptDirective feeds an engine that allows directives the same
// inputs, at the real time (the seeds are minted for it). It never panics,
// and under the context it returns for a refused token nothing fires,
// whether at the points the seeds name or elsewhere, and no directive is in
// force; under an accepted one DirectiveFrom tells which.
func FuzzAcceptDirective(f *testing.F) {
	issued := time.Now().Add(-30 * time.Second)
	addDirectiveSeeds(f, directiveSeeds(f, issued))
	points := []string{"payments.charge", "GET /orders/{id}", "db.query", "sql.exec", "a", "cache.get", "other"}
	f.Fuzz(func(t *testing.T, in string, mode uint8, _ int64) {
		tok := tokenOf(in, mode)
		e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(requestPolicy()), chaos.WithDirectiveKeys(propKeys...))
		ctx, err := e.AcceptDirective(context.Background(), tok)
		d, inForce := chaos.DirectiveFrom(ctx)
		if err != nil {
			var de *chaos.DirectiveError
			if !errors.As(err, &de) || !slices.Contains(refusalReasons, de.Reason) {
				t.Fatalf("AcceptDirective(%q) = %v (%T), want a *DirectiveError with a known reason", tok, err, err)
			}
			if inForce {
				t.Fatalf("AcceptDirective(%q) refused it (%v), but directive %q is in force", tok, err, d.ID)
			}
			for _, name := range points {
				if dec := e.Point(name).Decide(ctx); dec.Fired() {
					t.Fatalf("a refused token (%v) fired %v at %q", err, dec.Err(), name)
				}
			}
			return
		}
		if !inForce || chaos.DirectiveToken(ctx) != tok {
			t.Fatalf("AcceptDirective(%q) accepted it, but DirectiveFrom = %v and DirectiveToken = %q", tok, inForce, chaos.DirectiveToken(ctx))
		}
		for _, name := range points {
			_ = e.Point(name).Decide(ctx) // must not panic
		}
	})
}

// TestDirectiveFuzzSeedsVerify checks the fuzz targets' seeds: the seed
// tokens, the same payloads signed by signPayload, the first hand-written
// payload and a segment signed by signSegment all verify at fuzzNow, so the fuzzer starts from
// inputs that reach the decoder and past it.
func TestDirectiveFuzzSeedsVerify(t *testing.T) {
	toks := directiveSeeds(t, fuzzNow.Add(-30*time.Second))
	for _, tok := range toks {
		toks = append(toks, signPayload(propKeys[0], []byte(payloadOf(t, tok))))
	}
	toks = append(toks, signPayload(propKeys[0], []byte(`{"id":"x","iat":1795773570,"exp":1795773900,"plan":"a=error"}`)),
		signSegment(propKeys[0], strings.Split(toks[0], ".")[2]))
	for i, tok := range toks {
		if _, err := chaos.VerifyDirective(tok, fuzzNow, propKeys...); err != nil {
			t.Errorf("seed %d: %v", i, err)
		}
	}
}
