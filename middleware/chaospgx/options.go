package chaospgx

import (
	"strings"

	"github.com/faultline-go/faultline/chaos"
)

// DefaultPrefix is the prefix of the point names when [WithPrefix] is not
// given: "pgx.query", "pgx.exec" and so on.
const DefaultPrefix = "pgx"

// Option configures [Wrap]. Options are values, safe to reuse and to share
// between goroutines; only this package makes them.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	prefix string
}

// WithPrefix names the wrapper's points prefix+".query", prefix+".exec" and
// so on, for a service with several databases: with
// WithPrefix("pgx.orders"), a rule for "pgx.orders.*" touches only the
// orders database, and one for "pgx.*" every database. The default is
// [DefaultPrefix]; an empty prefix keeps it, and a trailing dot is dropped.
func WithPrefix(prefix string) Option {
	return optionFunc(func(c *config) {
		if p := strings.TrimRight(prefix, "."); p != "" {
			c.prefix = p
		}
	})
}

// points are the fault points of one wrapper, looked up once.
type points struct {
	query, exec, begin, commit, rollback, copy, batch *chaos.Point
}

func newPoints(e *chaos.Engine, opts []Option) *points {
	if e == nil {
		e = chaos.Default()
	}
	c := config{prefix: DefaultPrefix}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	p := func(op string) *chaos.Point { return e.Point(c.prefix + "." + op) }
	return &points{
		query:    p("query"),
		exec:     p("exec"),
		begin:    p("begin"),
		commit:   p("commit"),
		rollback: p("rollback"),
		copy:     p("copy"),
		batch:    p("batch"),
	}
}
