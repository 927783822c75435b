// Package ofsource reads fault plans from a feature flag through the
// OpenFeature Go SDK (github.com/open-feature/go-sdk), so that the flag
// system a service already runs can switch faults on, for a share of the
// fleet, and off again at once.
//
// [New] makes a [source.Source] for one flag. Hand it to a
// [source.Runner], which applies each plan through the engine's policy:
//
//	client := openfeature.NewClient("checkout") // the SDK's client
//	src := ofsource.New(client, "faultline-plan")
//	go source.NewRunner(engine, src).Run(ctx)
//
// The flag holds the plan as an object (the JSON form of a plan) or as a
// string (its text or JSON form); see [chaos.DecodePlan]. The source reads
// it at start, again when the provider reports a configuration change
// naming the flag (or naming none), and when the provider becomes ready.
// This package is apart from package source so that importing the engine
// does not pull in the SDK.
package ofsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	"github.com/faultline-go/faultline/internal/mix"
)

// ErrNoFlag is returned by [Source.Watch] when the source has no flag name.
var ErrNoFlag = errors.New("ofsource: no flag name")

// Option configures a [Source] made by [New]. Only this package makes
// Options.
type Option interface{ apply(*Source) }

type option func(*Source)

func (f option) apply(s *Source) { f(s) }

// WithEvaluationContext evaluates the flag with ec, so that targeting rules
// can hand different plans to different instances (set the targeting key
// to the engine's instance id, say). By default the context is empty, and
// the client's and the API's contexts apply as the SDK merges them.
func WithEvaluationContext(ec of.EvaluationContext) Option {
	return option(func(s *Source) { s.evalCtx = ec })
}

// WithPollInterval also reads the flag every d, for providers that do not
// emit configuration-change events. The default, and what 0 means, is no
// polling, and d < 0 turns polling off: the flag is read only at start and
// on events.
func WithPollInterval(d time.Duration) Option {
	return option(func(s *Source) { s.poll = max(d, 0) })
}

// Source is a [source.Source] that reads a plan from one feature flag. Its
// methods are safe for concurrent use; each Watch keeps its own state.
type Source struct {
	client  *of.Client
	flag    string
	evalCtx of.EvaluationContext
	poll    time.Duration
}

var _ source.Source = (*Source)(nil)

// New returns a source reading the plan from flag through client. A nil
// client means the SDK's default client, [of.NewDefaultClient]().
//
// The flag's value decides the plan:
//
//   - a string holds the plan's text or JSON form;
//   - any other value (a map, as object flags resolve to) is encoded as
//     JSON and read as the JSON form;
//   - null and the empty string are the empty plan, which switches every
//     fault off; a disabled flag resolves to one of them (the default);
//   - a value longer than [chaos.MaxPlanSize] bytes (an object: its JSON
//     form) is refused with an error matching [source.ErrTooLarge], and
//     the runner keeps the last good plan;
//   - an evaluation error (flag not found, provider not ready) and a value
//     that does not decode are reported as an Update with Err, and the
//     runner keeps the last good plan.
//
// The flag is evaluated as an object; if the provider answers that it is
// of another type, it is evaluated again as a string.
func New(client *of.Client, flag string, opts ...Option) *Source {
	if client == nil {
		client = of.NewDefaultClient()
	}
	s := &Source{client: client, flag: flag}
	for _, o := range opts {
		o.apply(s)
	}
	return s
}

// Name returns "openfeature:FLAG", or "openfeature:DOMAIN/FLAG" for a
// client bound to a domain.
func (s *Source) Name() string {
	if d := s.client.Metadata().Domain(); d != "" {
		return "openfeature:" + d + "/" + s.flag
	}
	return "openfeature:" + s.flag
}

// Watch reads the flag and yields its plan, then reads it again on each
// configuration change that may concern it, on the provider becoming
// ready, and every poll interval if one is set, until ctx is done. It
// returns nil then, or [ErrNoFlag] at once when the flag name is empty.
// A runner skips a plan equal to the last it applied while that plan is
// still active, so that extra reads cost nothing.
func (s *Source) Watch(ctx context.Context, yield func(source.Update)) error {
	if s.flag == "" {
		return ErrNoFlag
	}
	wake := make(chan struct{}, 1)
	onEvent := func(d of.EventDetails) {
		if len(d.FlagChanges) > 0 && !slices.Contains(d.FlagChanges, s.flag) {
			return
		}
		select {
		case wake <- struct{}{}:
		default: // a read is already due
		}
	}
	cb := of.EventCallback(&onEvent)
	s.client.AddHandler(of.ProviderConfigChange, cb)
	defer s.client.RemoveHandler(of.ProviderConfigChange, cb)
	s.client.AddHandler(of.ProviderReady, cb)
	defer s.client.RemoveHandler(of.ProviderReady, cb)

	var tick <-chan time.Time
	if s.poll > 0 {
		t := time.NewTicker(s.poll)
		defer t.Stop()
		tick = t.C
	}
	for {
		u := s.read(ctx)
		if ctx.Err() != nil {
			return nil
		}
		yield(u)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick:
		}
	}
}

// read evaluates the flag once.
func (s *Source) read(ctx context.Context) source.Update {
	d, err := s.client.ObjectValueDetails(ctx, s.flag, nil, s.evalCtx)
	value := d.Value
	if err != nil && d.ErrorCode == of.TypeMismatchCode {
		var sd of.StringEvaluationDetails
		sd, err = s.client.StringValueDetails(ctx, s.flag, "", s.evalCtx)
		value = sd.Value
	}
	if err != nil {
		return source.Update{Err: fmt.Errorf("ofsource: evaluating flag %q: %w", s.flag, err)}
	}
	var doc []byte
	switch v := value.(type) {
	case nil:
		return source.Update{Version: "null"}
	case string:
		if len(v) > chaos.MaxPlanSize {
			return s.tooLarge(fmt.Sprintf("%d bytes", len(v)))
		}
		doc = []byte(v)
	case []byte:
		if len(v) > chaos.MaxPlanSize {
			return s.tooLarge(fmt.Sprintf("%d bytes", len(v)))
		}
		doc = v
	default:
		if doc, err = json.Marshal(v); err != nil {
			return source.Update{Err: fmt.Errorf("ofsource: encoding flag %q as json: %w", s.flag, err)}
		}
		if len(doc) > chaos.MaxPlanSize {
			return s.tooLarge(fmt.Sprintf("its json form is %d bytes", len(doc)))
		}
		if len(doc) == 0 || doc[0] != '{' {
			return source.Update{Err: fmt.Errorf("ofsource: flag %q: %w: a %T is not a plan", s.flag, chaos.ErrInvalidPlan, v)}
		}
	}
	p, err := chaos.ParsePlan(string(doc))
	if err != nil {
		return source.Update{Err: fmt.Errorf("ofsource: decoding flag %q: %w", s.flag, err)}
	}
	v := p.Version
	if v == "" {
		v = strconv.FormatUint(mix.String(string(doc)), 16)
	}
	return source.Update{Plan: p, Version: v}
}

// tooLarge is the update of a flag value larger than chaos.MaxPlanSize.
func (s *Source) tooLarge(what string) source.Update {
	return source.Update{Err: fmt.Errorf("ofsource: flag %q: %w (%s, limit %d)", s.flag, source.ErrTooLarge, what, chaos.MaxPlanSize)}
}
