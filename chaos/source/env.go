package source

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/faultline-go/faultline/chaos"
)

// EnvVar is the environment variable [Env] and [ApplyEnv] read.
const EnvVar = "FAULTLINE_PLAN"

// Env returns a one-shot source named "env" that reads a plan, in text or
// JSON form, from the FAULTLINE_PLAN environment variable when it is
// watched. It yields once and returns; when the variable is unset or
// blank it yields nothing, so whatever plan the engine has stays. A value
// longer than [chaos.MaxPlanSize] bytes is refused with [ErrTooLarge]. It
// is safe for concurrent use.
func Env() Source { return envSource{} }

type envSource struct{}

func (envSource) Name() string { return "env" }

func (envSource) Watch(ctx context.Context, yield func(Update)) error {
	if u, ok := readEnv(); ok && ctx.Err() == nil {
		yield(u)
	}
	return nil
}

func readEnv() (Update, bool) {
	v := os.Getenv(EnvVar)
	if strings.TrimSpace(v) == "" {
		return Update{}, false
	}
	if len(v) > chaos.MaxPlanSize {
		return Update{Err: fmt.Errorf("source: reading %s: %w (%d bytes, limit %d)", EnvVar, ErrTooLarge, len(v), chaos.MaxPlanSize)}, true
	}
	return decoded([]byte(v), EnvVar, ""), true
}

// ApplyEnv applies the plan in FAULTLINE_PLAN to e (nil means
// [chaos.Default]()), recording its source as "env@VERSION". It is the
// one-call form of running a [Runner] over [Env], for a main function that
// wants faults from its environment and nothing else. An unset or blank
// variable applies nothing and returns nil. A plan that does not decode,
// is too large, or that the engine refuses changes nothing; the error says
// which (it matches [chaos.ErrInvalidPlan], [ErrTooLarge],
// [chaos.ErrRefused], or [chaos.ErrDisabled] while the kill switch is
// thrown).
func ApplyEnv(e *chaos.Engine) error {
	if e == nil {
		e = chaos.Default()
	}
	u, ok := readEnv()
	switch {
	case !ok:
		return nil
	case u.Err != nil:
		return u.Err
	}
	if err := e.Apply(u.Plan, chaos.FromSource("env@"+u.Version)); err != nil {
		return fmt.Errorf("source: applying %s: %w", EnvVar, err)
	}
	return nil
}
