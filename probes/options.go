package probes

import (
	"database/sql"
	"net/http"
	"slices"
	"time"
)

// DefaultTimeout bounds each HTTP and SQL check unless [WithTimeout] sets
// another bound.
const DefaultTimeout = 5 * time.Second

// HTTPOption configures a probe made by [HTTP]. Only this package makes
// HTTPOptions; [CheckOption] values are HTTPOptions too.
type HTTPOption interface {
	applyHTTP(*httpConfig)
}

// SQLOption configures a probe made by [SQL]. Only this package makes
// SQLOptions; [CheckOption] values are SQLOptions too.
type SQLOption interface {
	applySQL(*sqlConfig)
}

// CheckOption configures any active probe: it is both an [HTTPOption] and a
// [SQLOption].
type CheckOption interface {
	HTTPOption
	SQLOption
}

// checkConfig holds the settings shared by active probes.
type checkConfig struct {
	maxLatency time.Duration // <= 0: no limit
	timeout    time.Duration // <= 0: none beyond the caller's ctx
}

// defaultCheck is the checkConfig of an HTTP or SQL probe made without
// options.
var defaultCheck = checkConfig{timeout: DefaultTimeout}

type checkOption func(*checkConfig)

func (f checkOption) applyHTTP(c *httpConfig) { f(&c.checkConfig) }
func (f checkOption) applySQL(c *sqlConfig)   { f(&c.checkConfig) }

// WithMaxLatency fails a check that takes longer than d, even when the call
// itself succeeded. The check still runs to completion (up to the timeout),
// so the Result reports the real latency. The default, and what 0 means,
// is no latency limit; d < 0 turns the limit off too.
func WithMaxLatency(d time.Duration) CheckOption {
	return checkOption(func(c *checkConfig) { c.maxLatency = max(d, 0) })
}

// WithTimeout bounds each check to d: the call is cancelled after d and the
// check fails. The default, and what 0 means, is [DefaultTimeout]; d < 0
// turns the bound off, so only the ctx given to Check stops the call.
func WithTimeout(d time.Duration) CheckOption {
	return checkOption(func(c *checkConfig) {
		if d != 0 {
			c.timeout = max(d, -1)
		}
	})
}

type httpConfig struct {
	checkConfig
	client   *http.Client
	method   string
	statuses []int // nil: any 2xx
	header   http.Header
}

type httpOption func(*httpConfig)

func (f httpOption) applyHTTP(c *httpConfig) { f(c) }

// WithClient sends the probe's requests through c. The default, and the
// client used when c is nil, is [http.DefaultClient].
func WithClient(c *http.Client) HTTPOption {
	return httpOption(func(cfg *httpConfig) { cfg.client = c })
}

// WithMethod sets the request method. The default, and the method used when
// m is empty, is GET.
func WithMethod(m string) HTTPOption {
	return httpOption(func(c *httpConfig) { c.method = m })
}

// WithStatus lists the response status codes that pass. The default, and
// the rule when codes is empty, is any 2xx status.
func WithStatus(codes ...int) HTTPOption {
	codes = slices.Clone(codes)
	return httpOption(func(c *httpConfig) { c.statuses = codes })
}

// WithHeader adds a request header, for example an Authorization or Host
// header. Repeating it for the same key adds values. By default requests
// carry only the headers the client adds.
func WithHeader(key, value string) HTTPOption {
	return httpOption(func(c *httpConfig) {
		if c.header == nil {
			c.header = make(http.Header)
		}
		c.header.Add(key, value)
	})
}

type sqlConfig struct {
	checkConfig
	args   []any
	expect func(*sql.Rows) error
}

type sqlOption func(*sqlConfig)

func (f sqlOption) applySQL(c *sqlConfig) { f(c) }

// WithArgs passes args to the query's placeholders. By default the query
// runs without arguments.
func WithArgs(args ...any) SQLOption {
	args = slices.Clone(args)
	return sqlOption(func(c *sqlConfig) { c.args = args })
}

// WithExpect hands the query's rows to fn, which reads them and returns an
// error when they do not show the steady state. The probe closes the rows
// and checks rows.Err afterwards, and recovers a panic in fn as a failure.
// By default the probe reads and counts the rows and passes when the query
// succeeds. fn must be safe for concurrent use if the probe is checked
// concurrently.
func WithExpect(fn func(rows *sql.Rows) error) SQLOption {
	return sqlOption(func(c *sqlConfig) { c.expect = fn })
}
