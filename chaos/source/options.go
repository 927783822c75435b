package source

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults of the polling sources.
const (
	// DefaultFileInterval is how often [File] checks its file.
	DefaultFileInterval = time.Second
	// DefaultHTTPInterval is how often [HTTP] polls its URL.
	DefaultHTTPInterval = 30 * time.Second
	// DefaultMaxBytes bounds a plan document: 1 MiB.
	DefaultMaxBytes = 1 << 20
	// DefaultTimeout bounds each HTTP request.
	DefaultTimeout = 10 * time.Second
	// DefaultJitter spreads each HTTP poll by up to ±10% of the interval.
	DefaultJitter = 0.1
	// DefaultStaleAfter is how long [HTTP] goes without a good answer
	// before its fail-safe switches every fault off.
	DefaultStaleAfter = 5 * time.Minute
)

// RunnerOption configures a [Runner] made by [NewRunner]. Only this package
// makes RunnerOptions.
type RunnerOption interface{ applyRunner(*Runner) }

type runnerOption func(*Runner)

func (f runnerOption) applyRunner(r *Runner) { f(r) }

// WithLogger makes the runner log applied plans (Info) and failed or
// refused updates (Warn) to l. By default, and when l is nil, the runner
// logs nothing; [Runner.Status] still counts everything.
func WithLogger(l *slog.Logger) RunnerOption {
	return runnerOption(func(r *Runner) { r.log = l })
}

// WithOnUpdate calls f with the runner's status after each update has
// been handled (applied, skipped, or kept out), on the goroutine that runs
// the source's Watch; f must not block for long. It suits metrics and
// tests. By default nothing is called.
func WithOnUpdate(f func(Status)) RunnerOption {
	return runnerOption(func(r *Runner) { r.onUpdate = f })
}

// FileOption configures a source made by [File]. Only this package makes
// FileOptions; [PollOption] values are FileOptions too.
type FileOption interface{ applyFile(*fileSource) }

// HTTPOption configures a source made by [HTTP]. Only this package makes
// HTTPOptions; [PollOption] values are HTTPOptions too.
type HTTPOption interface{ applyHTTP(*httpSource) }

// PollOption configures any polling source: it is both a [FileOption] and
// an [HTTPOption].
type PollOption interface {
	FileOption
	HTTPOption
}

// pollConfig holds the settings shared by polling sources.
type pollConfig struct {
	interval time.Duration
	maxBytes int64
}

type pollOption func(*pollConfig)

func (f pollOption) applyFile(s *fileSource) { f(&s.pollConfig) }
func (f pollOption) applyHTTP(s *httpSource) { f(&s.pollConfig) }

// WithInterval sets how often the source checks for a new plan. The
// default is [DefaultFileInterval] for [File] and [DefaultHTTPInterval] for
// [HTTP]; d <= 0 keeps the default.
func WithInterval(d time.Duration) PollOption {
	return pollOption(func(c *pollConfig) {
		if d > 0 {
			c.interval = d
		}
	})
}

// WithMaxBytes refuses plan documents larger than n bytes, with an error
// matching [ErrTooLarge]. The default is [DefaultMaxBytes]; n <= 0 keeps
// the default.
func WithMaxBytes(n int64) PollOption {
	return pollOption(func(c *pollConfig) {
		if n > 0 {
			c.maxBytes = n
		}
	})
}

type httpOption func(*httpSource)

func (f httpOption) applyHTTP(s *httpSource) { f(s) }

// WithClient sends the requests through c. The default, and the client used
// when c is nil, is [http.DefaultClient]. The per-request timeout
// ([WithTimeout]) applies on top of c's own.
func WithClient(c *http.Client) HTTPOption {
	return httpOption(func(s *httpSource) { s.client = c })
}

// WithBearerToken sends "Authorization: Bearer token" with each request.
// By default no Authorization header is sent. Prefer it to a token in the
// URL, which would show in the source's name.
func WithBearerToken(token string) HTTPOption {
	return httpOption(func(s *httpSource) { s.token = token })
}

// WithTimeout bounds each request, reading the body included, to d; a
// request that takes longer fails and is retried. The default is
// [DefaultTimeout]; d <= 0 keeps the default.
func WithTimeout(d time.Duration) HTTPOption {
	return httpOption(func(s *httpSource) {
		if d > 0 {
			s.timeout = d
		}
	})
}

// WithJitter spreads each wait between good polls uniformly over the
// interval ± f×interval, so a fleet started at once does not poll in step.
// f is clamped to [0,1]; the default is [DefaultJitter], and 0 polls at
// exactly the interval.
func WithJitter(f float64) HTTPOption {
	return httpOption(func(s *httpSource) { s.jitter = min(max(f, 0), 1) })
}

// WithStaleAfter sets the fail-safe: when no good answer (a 200 with a plan
// that decodes, or a 304) has come for d, counting from the start of Watch
// or the last good answer, the source yields an Update matching [ErrStale],
// on which a [Runner] switches every fault off. Polling goes on, and the
// next good answer applies its plan again. A request still in flight when
// the limit passes is cut short, so the fail-safe trips on time. The
// default is
// [DefaultStaleAfter]; d < 0 turns the fail-safe off, and 0 keeps the
// default.
func WithStaleAfter(d time.Duration) HTTPOption {
	return httpOption(func(s *httpSource) {
		if d != 0 {
			s.staleAfter = max(d, -1)
		}
	})
}
