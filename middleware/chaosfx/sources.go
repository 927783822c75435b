package chaosfx

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.uber.org/fx"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// Sources runs the plan sources of the module's [Config] with the
// application's lifecycle, and reports what they did. [Module] provides it.
//
// When the application starts, Sources logs the engine's seed and instance
// (so a run can be replayed) and runs each source under its own
// source.Runner, in a goroutine, until the application stops; its start hook
// returns at once, without waiting for a first plan, so a slow source never
// holds the application back, and until a plan comes nothing fires. When
// the application stops, Sources cancels the runners and waits for them to
// return; if the stop context ends first, the stop hook returns its error,
// and the runners still finish as soon as their sources return. The plan
// applied last stays active on the engine after the stop.
//
// A source that yields a bad plan, or one the engine's policy refuses,
// does not stop anything: its runner logs the error (Warn), counts it and
// keeps the last good plan. A source whose Watch gives up with an error
// (a malformed URL, say) is logged (Error) and shows in [Sources.Status];
// the other sources and the application go on.
//
// Its methods are safe for concurrent use.
type Sources struct {
	engine  *chaos.Engine
	log     *slog.Logger
	entries []*entry

	mu     sync.Mutex
	cancel context.CancelFunc // cancels the running sources; nil when stopped
	done   chan struct{}      // closed when they have all returned
}

// entry is one source with its runner, and the error its last Run
// returned.
type entry struct {
	runner *source.Runner

	mu    sync.Mutex
	err   error
	errAt time.Time
}

func newSources(lc fx.Lifecycle, e *chaos.Engine, p in) *Sources {
	l := p.logger()
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	s := &Sources{engine: e, log: l}
	ropts := append([]source.RunnerOption{source.WithLogger(l)}, p.Config.RunnerOptions...)
	for _, src := range p.Config.Sources {
		s.entries = append(s.entries, &entry{runner: source.NewRunner(e, src, ropts...)})
	}
	lc.Append(fx.Hook{OnStart: s.start, OnStop: s.stop})
	return s
}

// Status returns what each source's runner did, in the order of the
// Config's Sources (see source.RunnerStatus). A source whose Watch gave up with
// an error shows that error as Err, unless a later one replaced it. With no
// sources it returns nil.
func (s *Sources) Status() []source.RunnerStatus {
	if s == nil || len(s.entries) == 0 {
		return nil
	}
	out := make([]source.RunnerStatus, len(s.entries))
	for i, en := range s.entries {
		st := en.runner.Status()
		en.mu.Lock()
		if en.err != nil && !en.errAt.Before(st.ErrAt) {
			st.Err, st.ErrAt = en.err, en.errAt
		}
		en.mu.Unlock()
		out[i] = st
	}
	return out
}

// start is the start hook: it launches one goroutine per source, then
// returns.
func (s *Sources) start(ctx context.Context) error {
	names := make([]string, len(s.entries))
	for i, en := range s.entries {
		names[i] = en.runner.Status().Source
	}
	s.log.Info("faultline: engine started", "seed", s.engine.Seed(), "instance", s.engine.Instance(), "sources", names)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return fmt.Errorf("chaosfx: starting sources: %w", source.ErrRunning)
	}
	// The runners outlive the start hook: their context keeps the start
	// context's values but not its deadline.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, en := range s.entries {
		wg.Go(func() { s.run(runCtx, en) })
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	s.cancel, s.done = cancel, done
	return nil
}

// run runs one source until ctx is done or its Watch returns.
func (s *Sources) run(ctx context.Context, en *entry) {
	err := en.runner.Run(ctx)
	if err == nil {
		return
	}
	en.mu.Lock()
	en.err, en.errAt = err, time.Now()
	en.mu.Unlock()
	s.log.Error("faultline: plan source stopped, keeping the last good plan", "source", en.runner.Status().Source, "error", err)
}

// stop is the stop hook: it cancels the sources and waits for them, or for
// ctx.
func (s *Sources) stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("chaosfx: waiting for the plan sources to stop: %w", ctx.Err())
	}
}
