package source

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// Defaults of the runner and the polling sources. Every numeric option
// follows one rule: zero means the default, and a negative value turns the
// setting off.
const (
	// DefaultFileInterval is how often [File] checks its file.
	DefaultFileInterval = time.Second
	// DefaultHTTPInterval is how often [HTTP] polls its URL.
	DefaultHTTPInterval = 30 * time.Second
	// DefaultMaxBytes bounds a plan document: [chaos.MaxPlanSize], 1 MiB,
	// which is also the most any source accepts.
	DefaultMaxBytes = chaos.MaxPlanSize
	// DefaultTimeout bounds each HTTP request.
	DefaultTimeout = 10 * time.Second
	// DefaultJitter spreads each HTTP poll by up to ±10% of the interval.
	DefaultJitter = 0.1
	// DefaultStaleAfter is how long [HTTP] goes without a good answer
	// before its fail-safe switches every fault off.
	DefaultStaleAfter = 5 * time.Minute
	// DefaultRearmCheck is how often a [Runner] looks at the engine's
	// kill switch (see [WithRearmCheck]).
	DefaultRearmCheck = time.Second
)

// setDuration sets *dst, which holds its default, by the rule of every
// numeric option: d == 0 keeps the default, d < 0 stores -1 (off).
func setDuration(dst *time.Duration, d time.Duration) {
	if d != 0 {
		*dst = max(d, -1)
	}
}

// RunnerOption configures a [Runner] made by [NewRunner]. Only this package
// makes RunnerOptions.
type RunnerOption interface{ applyRunner(*Runner) }

type runnerOption func(*Runner)

func (f runnerOption) applyRunner(r *Runner) { f(r) }

// WithLogger makes the runner log applied plans (Info, with their version
// and text), plans held by the kill switch (Info, once per version), and
// failed or refused updates (Warn) to l. By default, and when l is nil,
// the runner logs nothing; [Runner.Status] still counts everything.
func WithLogger(l *slog.Logger) RunnerOption {
	return runnerOption(func(r *Runner) { r.log = l })
}

// WithOnUpdate calls f with the runner's status after each update has
// been handled (applied, skipped, held or kept out), and after the runner
// applies the source's plan again once the kill switch is re-armed. Calls
// never overlap; f must not block for long. It suits metrics and tests. By
// default nothing is called.
func WithOnUpdate(f func(RunnerStatus)) RunnerOption {
	return runnerOption(func(r *Runner) { r.onUpdate = f })
}

// WithRearmCheck sets how often the runner looks at the engine's kill
// switch, so that once an operator re-arms the engine ([chaos.Engine.Rearm])
// the source's current plan applies again within d, even from a source
// that yields nothing new (a file that did not change, an HTTP document
// that answers 304). The default, and what 0 means, is
// [DefaultRearmCheck]; d < 0 turns the check off, and the plan then
// applies again at the source's next update.
func WithRearmCheck(d time.Duration) RunnerOption {
	return runnerOption(func(r *Runner) { setDuration(&r.rearmCheck, d) })
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
	interval time.Duration // < 0: read once
	maxBytes int64
}

type pollOption func(*pollConfig)

func (f pollOption) applyFile(s *fileSource) { f(&s.pollConfig) }
func (f pollOption) applyHTTP(s *httpSource) { f(&s.pollConfig) }

// WithInterval sets how often the source checks for a new plan. The
// default, and what 0 means, is [DefaultFileInterval] for [File] and
// [DefaultHTTPInterval] for [HTTP]. d < 0 turns polling off: the source
// reads its document once, yields what it found (a plan or an error), and
// returns, as [Env] does; an HTTP source then neither retries nor fails
// safe.
func WithInterval(d time.Duration) PollOption {
	return pollOption(func(c *pollConfig) { setDuration(&c.interval, d) })
}

// WithMaxBytes refuses plan documents larger than n bytes, with an error
// matching [ErrTooLarge]. The default, and what 0 means, is
// [DefaultMaxBytes]. No source accepts more than [chaos.MaxPlanSize]
// bytes: a larger n, and n < 0 (no limit of the source's own), mean that.
func WithMaxBytes(n int64) PollOption {
	return pollOption(func(c *pollConfig) {
		switch {
		case n < 0 || n > chaos.MaxPlanSize:
			c.maxBytes = chaos.MaxPlanSize
		case n > 0:
			c.maxBytes = n
		}
	})
}

type httpOption func(*httpSource)

func (f httpOption) applyHTTP(s *httpSource) { f(s) }

// WithClient sends the requests through a copy of c, taken when the
// source is made (so c itself is left as it is). The default, and the
// client used when c is nil, is [http.DefaultClient]. The per-request
// timeout ([WithTimeout]) applies on top of c's own, and the redirect
// rule ([WithRedirects]) runs before c's own CheckRedirect.
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
// request that takes longer fails and is retried. The default, and what 0
// means, is [DefaultTimeout]; d < 0 turns the timeout off, leaving only
// the client's own and the fail-safe's deadline.
func WithTimeout(d time.Duration) HTTPOption {
	return httpOption(func(s *httpSource) { setDuration(&s.timeout, d) })
}

// WithJitter spreads each wait between good polls uniformly over the
// interval ± f×interval, so a fleet started at once does not poll in step.
// The default, and what 0 means, is [DefaultJitter]; f < 0 turns the
// jitter off (each poll waits exactly the interval), and f > 1 means 1.
func WithJitter(f float64) HTTPOption {
	return httpOption(func(s *httpSource) {
		switch {
		case f < 0:
			s.jitter = 0
		case f > 0:
			s.jitter = min(f, 1)
		}
	})
}

// WithStaleAfter sets the fail-safe: when no good answer (a 200 with a plan
// that decodes, or a 304) has come for d, counting from the start of Watch
// or the last good answer, the source yields an Update matching [ErrStale],
// on which a [Runner] switches every fault off. Polling goes on, and the
// next good answer applies its plan again. A request still in flight when
// the limit passes is cut short, so the fail-safe trips on time. The
// default, and what 0 means, is [DefaultStaleAfter]; d < 0 turns the
// fail-safe off. A limit shorter than one poll (the interval, its jitter
// included, plus the timeout) would trip between two good answers, so
// Watch refuses it with an error, before any request.
func WithStaleAfter(d time.Duration) HTTPOption {
	return httpOption(func(s *httpSource) { setDuration(&s.staleAfter, d) })
}

// Redirects says which HTTP redirects an [HTTP] source follows (see
// [WithRedirects]). A redirect it does not follow fails the poll with an
// error matching [ErrRedirect].
type Redirects int

const (
	// RedirectSameOrigin, the default, follows a redirect only to the
	// origin (scheme, host and port) of the source's URL.
	RedirectSameOrigin Redirects = iota
	// RedirectAnyOrigin follows a redirect to any origin, except from
	// https to http. Go's client drops the bearer token on a redirect to
	// another host.
	RedirectAnyOrigin
	// RedirectNone follows no redirect.
	RedirectNone
)

// WithRedirects sets which redirects the source follows; the default is
// [RedirectSameOrigin]. A redirect from https to http is never followed,
// whatever r says, and neither is an 11th redirect in a row.
func WithRedirects(r Redirects) HTTPOption {
	return httpOption(func(s *httpSource) { s.redirects = r })
}
