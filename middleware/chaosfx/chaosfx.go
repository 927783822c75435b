package chaosfx

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"go.uber.org/fx"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// ErrInvalidConfig is matched by the error fx reports, when the application
// is built, for a [Config] that cannot work: a nil source, or a policy that
// is itself invalid (and would refuse every plan). The error's text names
// each problem with its field.
var ErrInvalidConfig = errors.New("chaosfx: invalid config")

// Module provides, to an fx application, the [*chaos.Engine] built from the
// application's [Config], the [Middleware] and [Transport] bound to it, and
// the [*Sources] that run the Config's plan sources with the application's
// lifecycle (see the package documentation). The Config is optional: without
// one, the module uses the zero Config. The module starts the sources even
// when nothing else asks for the engine.
//
// Module is an fx.Option value; it is safe to use in any number of
// applications, one engine per application.
var Module = fx.Module("faultline",
	fx.Provide(
		newEngine,
		newSources,
		newMiddleware,
		newTransport,
	),
	fx.Invoke(func(*Sources) {}),
)

// Config configures what [Module] provides. Supply it to the application
// with fx.Supply(chaosfx.Config{…}) or provide it from a constructor. Every
// field's zero value means the default, and the zero Config (the one used
// when the application supplies none) is an engine with a random seed, no
// policy, no sources and no logs: nothing fires until code applies a plan.
//
// The module reads the Config once, when the application is built.
type Config struct {
	// Seed is the engine's seed (see [chaos.WithSeed]). 0 means a random
	// seed, which the engine reports with [chaos.Engine.Seed] and the module
	// logs at start, so a run can be replayed; to use 0 itself, put
	// chaos.WithSeed(0) in EngineOptions.
	Seed uint64
	// Instance is the engine's instance id (see [chaos.WithInstance]).
	// Empty means the host name.
	Instance string
	// Policy bounds every plan the engine applies, whatever its source
	// (see [chaos.Policy]). The zero Policy allows everything, which suits
	// tests and demos; a service in production should use
	// [chaos.ProductionPolicy] or a policy of its own. A policy that is
	// itself invalid fails the application's build with
	// [ErrInvalidConfig].
	Policy chaos.Policy
	// Sources are the places plans come from: the environment, a file, an
	// HTTP endpoint, a feature flag (see package source). Each runs under
	// its own source.Runner while the application runs. Every plan a
	// source applies replaces the whole active plan, so an application
	// normally has one source, or one Source of its own that merges
	// several. Nil means none: plans come only from code. A nil element
	// fails the application's build with [ErrInvalidConfig].
	Sources []source.Source
	// Logger receives the logs of the engine (plan changes, refusals, the
	// kill switch, and injections at Debug) and of the sources' runners
	// (applied plans, failed and refused updates). Nil means the
	// *slog.Logger the application provides, if it provides one, and
	// otherwise no logs.
	Logger *slog.Logger
	// EngineOptions are passed to [chaos.New] after the options the
	// fields above make, so they can add observers or override a field.
	// Nil means none.
	EngineOptions []chaos.Option
	// RunnerOptions are passed to every source's runner after the logger,
	// as source.WithOnUpdate for metrics. Nil means none.
	RunnerOptions []source.RunnerOption
	// HTTPOptions configure both the [Middleware] and the transports of
	// [Transport], as chaoshttp.WithHeaderLabel("X-Tenant", "tenant") does.
	// Options that name points (chaoshttp.WithPointName) belong to one
	// side: give them to a Transport call, or wrap handlers with chaoshttp
	// directly. Nil means chaoshttp's defaults.
	HTTPOptions []chaoshttp.Option
}

// in is what the module's constructors take from the application. Both
// fields are optional.
type in struct {
	fx.In

	Config Config       `optional:"true"`
	Logger *slog.Logger `optional:"true"`
}

// logger returns the logger the Config names, or the application's, or
// nil.
func (p in) logger() *slog.Logger {
	if p.Config.Logger != nil {
		return p.Config.Logger
	}
	return p.Logger
}

// newEngine builds the engine from the Config.
func newEngine(p in) (*chaos.Engine, error) {
	c := p.Config
	if err := c.validate(); err != nil {
		return nil, err
	}
	opts := make([]chaos.Option, 0, 4+len(c.EngineOptions))
	if c.Seed != 0 {
		opts = append(opts, chaos.WithSeed(c.Seed))
	}
	if c.Instance != "" {
		opts = append(opts, chaos.WithInstance(c.Instance))
	}
	opts = append(opts, chaos.WithPolicy(c.Policy))
	if l := p.logger(); l != nil {
		opts = append(opts, chaos.WithLogger(l))
	}
	opts = append(opts, c.EngineOptions...)
	return chaos.New(opts...), nil
}

// validate reports every problem of c, joined in one error matching
// ErrInvalidConfig.
func (c Config) validate() error {
	var probs []string
	for i, s := range c.Sources {
		if s == nil {
			probs = append(probs, fmt.Sprintf("sources[%d]: nil source", i))
		}
	}
	probs = append(probs, policyProblems(c.Policy)...)
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(probs, "; "))
}

// policyProblems returns the problems of a policy that is itself invalid,
// as "policy.max_rate: 2 is outside [0,1]".
func policyProblems(p chaos.Policy) []string {
	var pe *chaos.PlanError
	if !errors.As(p.Validate(), &pe) {
		return nil
	}
	out := make([]string, len(pe.Problems))
	for i, pr := range pe.Problems {
		out[i] = pr.String()
	}
	return out
}
