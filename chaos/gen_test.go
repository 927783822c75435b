package chaos_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"pgregory.net/rapid"
)

// This file holds the rapid generators the property tests share. Every
// generator draws only valid values, so a failure is the code's, not the
// generator's.

// oddRunes are the characters the text form must take care with: its
// separators, quotes, brackets, escapes, spaces of several kinds and
// non-ASCII letters.
var oddRunes = []rune("ab.*/ {}()[]=;,%\"'\\é世\u00a0\u2028\t")

// noControl replaces the control characters a point may not hold.
func noControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

// genText draws a string for a message, a label or a sticky key: often
// plain, often made of the odd runes, sometimes any Unicode at all.
func genText(minRunes int) *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.StringOfN(rapid.RuneFrom([]rune("abcxyz-_.0123456789")), minRunes, 10, -1),
		rapid.StringOfN(rapid.RuneFrom(oddRunes), minRunes, 10, -1),
		rapid.StringN(minRunes, 10, -1),
	)
}

// genPoint draws a point name or pattern.
func genPoint() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom([]string{"db.query", "payments.charge", "sql.*", "*", "GET /users/{id}", "f(x)", "a"}),
		rapid.Map(genText(1), noControl),
	)
}

// genShare draws a rate or a share of instances in [0,1], with the
// awkward floats the text form must write exactly.
func genShare() *rapid.Generator[float64] {
	return rapid.OneOf(
		rapid.SampledFrom([]float64{0, 1, 0.1, 0.01, 0.001, 0.125, 0.3, 1.0 / 3, 2.0 / 3, 1e-9, 5e-324,
			math.Nextafter(1, 0), math.Nextafter(0.1, 1), math.Copysign(0, -1), 0.07, 0.29}),
		rapid.Float64Range(0, 1),
	)
}

// genInstances draws a Rule.Instances: often all (0), sometimes none (-1),
// otherwise a share.
func genInstances() *rapid.Generator[float64] {
	return rapid.OneOf(rapid.Just(0.0), rapid.Just(-1.0), genShare())
}

// genCount draws a count for Times, After or Every: usually 0.
func genCount() *rapid.Generator[int] {
	return rapid.OneOf(rapid.Just(0), rapid.IntRange(0, 10), rapid.IntRange(0, math.MaxInt32))
}

// genFault draws a valid fault of any kind.
func genFault() *rapid.Generator[faults.Fault] {
	return rapid.Custom(func(t *rapid.T) faults.Fault {
		f := faults.Fault{Kind: faults.Kind(rapid.IntRange(1, faults.NumKinds-1).Draw(t, "kind"))}
		code := rapid.OneOf(rapid.Just(0), rapid.IntRange(200, 999))
		switch f.Kind {
		case faults.KindLatency:
			if d := faults.Dist(rapid.IntRange(0, 3).Draw(t, "dist")); d != faults.Uniform {
				f.Dist = d
				f.Delay = time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(t, "location"))
				if d == faults.Normal {
					f.Jitter = time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "sd"))
				} else {
					f.Shape = rapid.OneOf(rapid.SampledFrom([]float64{0.5, 1, 1.5, 1.0 / 3, 5e-324, 100}),
						rapid.Float64Range(0, 100)).Filter(func(v float64) bool { return v > 0 }).Draw(t, "shape")
				}
				f.Max = time.Duration(rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(0, int64(time.Hour))).Draw(t, "max"))
				break
			}
			f.Delay = time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(t, "delay"))
			f.Jitter = time.Duration(rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(0, int64(time.Hour))).Draw(t, "jitter"))
			if f.Delay == 0 && f.Jitter == 0 {
				f.Delay = time.Nanosecond
			}
		case faults.KindError:
			f.Message = genText(0).Draw(t, "message")
			f.Code = code.Draw(t, "code")
		case faults.KindPanic:
			f.Message = genText(0).Draw(t, "message")
		case faults.KindHang, faults.KindPause, faults.KindSqueeze:
			f.Delay = time.Duration(rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(1, int64(time.Hour))).Draw(t, "bound"))
		case faults.KindCustom:
			f.Name = rapid.SampledFrom(customNames).Draw(t, "name")
		case faults.KindStatus:
			f.Code = rapid.IntRange(200, 999).Draw(t, "code")
			f.Body = genText(0).Draw(t, "body")
		}
		return f
	})
}

// customNames are the custom faults the chaos tests register.
var customNames = []string{"chaostest.fake", "chaostest.closeconn"}

func init() {
	for _, name := range customNames {
		if err := faults.Register(name, func(context.Context, string) error { return errFake }); err != nil {
			panic(err)
		}
	}
}

// errFake is what the custom faults the tests register return.
var errFake = errors.New("fake result")

// genChoice draws a choice of a rule: a valid fault and a weight, usually
// the default.
func genChoice() *rapid.Generator[chaos.Choice] {
	return rapid.Custom(func(t *rapid.T) chaos.Choice {
		return chaos.Choice{
			Weight: rapid.OneOf(rapid.Just(0), rapid.IntRange(-2, 10), rapid.IntRange(0, chaos.MaxWeight)).Draw(t, "weight"),
			Fault:  genFault().Draw(t, "choice fault"),
		}
	})
}

// genUntil draws an expiry: none, or an instant in years 1 to 9999 seen
// from some time zone.
func genUntil() *rapid.Generator[time.Time] {
	return rapid.Custom(func(t *rapid.T) time.Time {
		if rapid.Bool().Draw(t, "no until") {
			return time.Time{}
		}
		const first, last = -62135596800 + 86400, 253402300799 - 86400 // a day inside years 1 and 9999
		u := time.Unix(rapid.Int64Range(first, last).Draw(t, "until seconds"), rapid.Int64Range(0, 999999999).Draw(t, "until nanos"))
		zone := time.FixedZone("", rapid.IntRange(-14*3600, 14*3600).Draw(t, "until zone"))
		return u.In(zone)
	})
}

// genRule draws a valid rule using every field.
func genRule() *rapid.Generator[chaos.Rule] {
	return rapid.Custom(func(t *rapid.T) chaos.Rule {
		r := chaos.Rule{
			Point:     genPoint().Draw(t, "point"),
			Fault:     genFault().Draw(t, "fault"),
			Rate:      genShare().Draw(t, "rate"),
			Times:     genCount().Draw(t, "times"),
			After:     genCount().Draw(t, "after"),
			Every:     genCount().Draw(t, "every"),
			TTL:       time.Duration(rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(0, math.MaxInt64)).Draw(t, "ttl")),
			Until:     genUntil().Draw(t, "until"),
			Sticky:    rapid.OneOf(rapid.Just(""), genText(0)).Draw(t, "sticky"),
			Instances: genInstances().Draw(t, "instances"),
		}
		if labels := rapid.MapOfN(genText(1), genText(0), 0, 3).Draw(t, "labels"); len(labels) > 0 {
			r.Labels = labels
		}
		if rapid.IntRange(0, 3).Draw(t, "with choices") == 0 {
			r.Fault = faults.Fault{}
			r.Choices = rapid.SliceOfN(genChoice(), 2, 4).Draw(t, "choices")
			r.Choices[0].Weight = max(r.Choices[0].Weight, 0) // one choice on
		}
		return r
	})
}

// genPlan draws a valid plan of up to five rules.
func genPlan() *rapid.Generator[chaos.Plan] {
	return rapid.Custom(func(t *rapid.T) chaos.Plan {
		return chaos.Plan{
			Version: rapid.OneOf(rapid.Just(""), genText(1)).Draw(t, "version"),
			Rules:   rapid.SliceOfN(genRule(), 0, 5).Draw(t, "rules"),
		}
	})
}

// validUTF8 reports whether every string in p is valid UTF-8, which JSON
// needs to carry it unchanged.
func validUTF8(p chaos.Plan) bool {
	ok := func(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
	for _, r := range p.Rules {
		if !ok(r.Point) || !ok(r.Fault.Message) || !ok(r.Fault.Body) || !ok(r.Sticky) {
			return false
		}
		for _, c := range r.Choices {
			if !ok(c.Fault.Message) || !ok(c.Fault.Body) {
				return false
			}
		}
		for k, v := range r.Labels {
			if !ok(k) || !ok(v) {
				return false
			}
		}
	}
	return ok(p.Version)
}
