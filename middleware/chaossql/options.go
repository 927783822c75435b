package chaossql

import (
	"strings"

	"github.com/faultline-go/faultline/chaos"
)

// DefaultPrefix is the prefix of the point names when [WithPrefix] is not
// given: "sql.query", "sql.exec" and so on.
const DefaultPrefix = "sql"

// Option configures [Wrap], [WrapDriver] and [Open]. Options are values,
// safe to reuse and to share between goroutines; only this package makes
// them.
type Option interface {
	apply(*config)
}

type config struct {
	prefix string
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithPrefix names the wrapper's points prefix+".query", prefix+".exec" and
// so on, for a service with several databases: with
// WithPrefix("sql.orders"), a rule for "sql.orders.*" touches only the
// orders database, and one for "sql.*" every database. The default is
// [DefaultPrefix]; an empty prefix keeps it, and a trailing dot is dropped.
func WithPrefix(prefix string) Option {
	return optionFunc(func(c *config) {
		if p := strings.TrimSuffix(prefix, "."); p != "" {
			c.prefix = p
		}
	})
}

func newConfig(opts []Option) config {
	c := config{prefix: DefaultPrefix}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// points are the fault points of one wrapper, looked up once.
type points struct {
	connect, ping, begin, commit, rollback, prepare, exec, query, rows *chaos.Point
}

func newPoints(e *chaos.Engine, opts []Option) *points {
	if e == nil {
		e = chaos.Default()
	}
	c := newConfig(opts)
	p := func(op string) *chaos.Point { return e.Point(c.prefix + "." + op) }
	return &points{
		connect:  p("connect"),
		ping:     p("ping"),
		begin:    p("begin"),
		commit:   p("commit"),
		rollback: p("rollback"),
		prepare:  p("prepare"),
		exec:     p("exec"),
		query:    p("query"),
		rows:     p("rows"),
	}
}
