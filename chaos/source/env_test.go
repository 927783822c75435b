package source_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	"github.com/faultline-go/faultline/faults"
)

func TestEnv(t *testing.T) {
	tests := []struct {
		name   string
		value  string // "-" leaves the variable unset
		plan   string // the engine's plan after, text form
		active string
		err    error // what ApplyEnv's error matches
	}{
		{name: "unset", value: "-", plan: "db.query=abort", active: "before"},
		{name: "blank", value: "  \n", plan: "db.query=abort", active: "before"},
		{name: "text", value: "payments.charge=10%delay(200ms)", plan: "payments.charge=10%delay(200ms)", active: "env@"},
		{name: "json", value: `{"version":"v7","rules":[{"point":"db.query","fault":"error(timeout)"}]}`, plan: "db.query=error(timeout)", active: "env@v7"},
		{name: "empty json plan", value: `{"rules":[]}`, plan: "", active: "env@"},
		{name: "garbage", value: "db.query=explode", plan: "db.query=abort", active: "before", err: chaos.ErrInvalidPlan},
		{name: "refused", value: "db.query=panic(x)", plan: "db.query=abort", active: "before", err: chaos.ErrRefused},
		{name: "too large", value: strings.Repeat(" ", chaos.MaxPlanSize) + "db.query=error(x)", plan: "db.query=abort", active: "before", err: source.ErrTooLarge},
	}
	for _, tt := range tests {
		for _, via := range []string{"ApplyEnv", "Runner"} {
			t.Run(tt.name+"/"+via, func(t *testing.T) {
				if tt.value != "-" {
					t.Setenv(source.EnvVar, tt.value)
				}
				e := chaos.New(chaos.WithPolicy(chaos.Policy{Kinds: []faults.Kind{faults.KindLatency, faults.KindError, faults.KindAbort}}))
				if err := e.Apply(chaos.MustParsePlan("db.query=abort"), chaos.FromSource("before")); err != nil {
					t.Fatal(err)
				}
				var err error
				if via == "ApplyEnv" {
					err = source.ApplyEnv(e)
				} else {
					r := source.NewRunner(e, source.Env())
					if err := r.Run(t.Context()); err != nil {
						t.Fatal(err)
					}
					err = r.Status().Err
				}
				if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
					t.Errorf("error = %v, want one matching %v", err, tt.err)
				}
				if got := e.Plan().String(); got != tt.plan {
					t.Errorf("plan = %q, want %q", got, tt.plan)
				}
				// Unversioned plans are named by a hash of the document.
				if got := e.Active().Source; got != tt.active && !(tt.active == "env@" && len(got) > len("env@")) {
					t.Errorf("source = %q, want %q", got, tt.active)
				}
			})
		}
	}
}

// ApplyEnv does not undo the kill switch.
func TestApplyEnvKilled(t *testing.T) {
	t.Setenv(source.EnvVar, "db.query=error(x)")
	e := chaos.New()
	e.Disable("test: alice")
	if err := source.ApplyEnv(e); !errors.Is(err, chaos.ErrDisabled) {
		t.Errorf("ApplyEnv = %v, want one matching ErrDisabled", err)
	}
	if !e.Disabled() || e.Plan().String() != "" {
		t.Errorf("disabled %v, plan %q after ApplyEnv", e.Disabled(), e.Plan())
	}
}

func TestEnvName(t *testing.T) {
	if got := source.Env().Name(); got != "env" {
		t.Errorf("Name() = %q", got)
	}
}
