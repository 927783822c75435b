package chaos_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"pgregory.net/rapid"
)

// TestPropGeneratedPlansValidate checks the generator: every plan it draws
// is valid, so the round-trip properties test the formats, not the
// validator.
func TestPropGeneratedPlansValidate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPlan().Draw(t, "plan")
		if err := p.Validate(); err != nil {
			t.Fatalf("generated plan does not validate: %v", err)
		}
	})
}

// TestPropPlanTextRoundTrip: plan → text → plan gives an equal plan, and
// text → plan → text gives the same text.
func TestPropPlanTextRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPlan().Draw(t, "plan")
		p.Version = "" // not part of the text form
		text := p.String()
		q, err := chaos.ParsePlan(text)
		if err != nil {
			t.Fatalf("ParsePlan(%q) = %v", text, err)
		}
		if !q.Equal(p) {
			t.Fatalf("plan → text → plan changed the plan\ntext: %q\n was: %+v\n now: %+v", text, p, q)
		}
		if again := q.String(); again != text {
			t.Fatalf("text → plan → text is not stable:\n%q\n%q", text, again)
		}
	})
}

// TestPropPlanJSONRoundTrip: plan → JSON → plan gives an equal plan, and
// JSON → plan → JSON gives the same bytes.
func TestPropPlanJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPlan().Draw(t, "plan")
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		q, err := chaos.ParsePlan(string(b))
		if err != nil {
			t.Fatalf("ParsePlan(%s) = %v", b, err)
		}
		if !q.Equal(p) {
			t.Fatalf("plan → JSON → plan changed the plan\njson: %s\n was: %+v\n now: %+v", b, p, q)
		}
		again, err := json.Marshal(q)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("JSON → plan → JSON is not stable:\n%s\n%s (%v)", b, again, err)
		}
	})
}
