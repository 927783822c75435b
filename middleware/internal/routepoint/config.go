package routepoint

import (
	"context"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/faultline-go/faultline/chaos"
)

// AdminPrefix is the path under which the admin handler is mounted by
// default ("/debug/faultline/"). Every [Config] exempts it, so that no plan
// can keep operators from the kill switch. Package chaoshttp exports it as
// chaoshttp.AdminPrefix.
const AdminPrefix = "/debug/faultline/"

// DefaultMaxPoints is the number of distinct route keys one [Registry]
// names points after, unless [WithMaxPoints] changes it.
const DefaultMaxPoints = 1024

// Config is what the shared options set. Its zero value has no bound and
// exempts nothing; [NewConfig] gives the defaults.
type Config struct {
	// Headers are the request headers copied into labels, in the order
	// WithHeaderLabel gave them.
	Headers []HeaderLabel
	// MaxPoints bounds the route keys a Registry makes points for; zero or
	// negative means no bound.
	MaxPoints int
	// Exempt holds paths, without their trailing slash ("" for the root),
	// under which no request is a fault point.
	Exempt []string
}

// HeaderLabel copies a request header into a label.
type HeaderLabel struct {
	Header string // canonical form
	Label  string
}

// NewConfig returns the default config, a bound of [DefaultMaxPoints] and
// [AdminPrefix] exempt, with opts applied.
func NewConfig(opts ...Option) Config {
	c := Config{MaxPoints: DefaultMaxPoints, Exempt: []string{strings.TrimRight(AdminPrefix, "/")}}
	c.Apply(opts...)
	return c
}

// Apply applies opts to c in order. A nil option does nothing.
func (c *Config) Apply(opts ...Option) {
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
}

// Option sets a field of a [Config]. Options are made only by the
// functions of this package, and sealed: an adapter passes them on (as its
// own option type, or an alias of this one) and applies them with
// [Config.Apply].
type Option interface {
	apply(*Config)
}

type optionFunc func(*Config)

func (f optionFunc) apply(c *Config) { f(c) }

// WithHeaderLabel copies the first value of the request header named
// header, when present, into the label called label. The header name is
// made canonical once, here. An empty header or label makes the option do
// nothing.
func WithHeaderLabel(header, label string) Option {
	h := textproto.CanonicalMIMEHeaderKey(header)
	return optionFunc(func(c *Config) {
		if h != "" && label != "" {
			c.Headers = append(c.Headers, HeaderLabel{Header: h, Label: label})
		}
	})
}

// WithMaxPoints sets the bound of route keys to n: zero means
// [DefaultMaxPoints], a negative n no bound.
func WithMaxPoints(n int) Option {
	return optionFunc(func(c *Config) {
		if n == 0 {
			n = DefaultMaxPoints
		}
		c.MaxPoints = n
	})
}

// WithExempt adds prefixes to the exempt paths: a path is exempt when it
// is a prefix, without its trailing slash, or lies under one. An empty
// prefix does nothing; one that does not start with "/" panics at once,
// with a message that starts with pkg, the package whose WithExempt the
// caller called, as a mistake made when setting up the server.
func WithExempt(pkg string, prefixes ...string) Option {
	var dirs []string
	for _, p := range prefixes {
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "/") {
			panic(pkg + ": WithExempt prefix " + strconv.Quote(p) + " does not start with /")
		}
		dirs = append(dirs, strings.TrimRight(p, "/"))
	}
	return optionFunc(func(c *Config) { c.Exempt = append(c.Exempt, dirs...) })
}

// Exempted reports whether the URL path path is one of the exempt paths
// of c or lies under one.
func (c *Config) Exempted(path string) bool {
	for _, dir := range c.Exempt {
		if strings.HasPrefix(path, dir) && (len(path) == len(dir) || path[len(dir)] == '/') {
			return true
		}
	}
	return false
}

// Decide evaluates p for a request with the method word at index m and
// header h, with its labels (see [Config.Labels]). They are gathered on
// the stack (DecideLabels keeps none of them), so deciding allocates
// nothing unless a header value is cut.
func (c *Config) Decide(ctx context.Context, p *chaos.Point, m int, h http.Header) chaos.Decision {
	if len(c.Headers) == 0 {
		return p.DecideLabels(ctx, methodLabels[m:m+1]...)
	}
	var buf [4]chaos.Label
	return p.DecideLabels(ctx, c.Labels(buf[:0], m, h)...)
}

// Labels appends to dst the labels of a request with the method word at
// index m and header h: the method ([LabelMethod]), then each configured
// header that is present, its first value cut by [CutLabel].
func (c *Config) Labels(dst []chaos.Label, m int, h http.Header) []chaos.Label {
	dst = append(dst, methodLabels[m])
	for _, hl := range c.Headers {
		if v := h[hl.Header]; len(v) > 0 {
			dst = append(dst, chaos.Label{Key: hl.Label, Value: CutLabel(v[0])})
		}
	}
	return dst
}

// CutLabel returns v, or a copy of its first [chaos.MaxLabelValue] bytes
// when it is longer: a substring would keep the whole header alive in
// whatever keeps the label (an observer, an events ring).
func CutLabel(v string) string {
	if len(v) <= chaos.MaxLabelValue {
		return v
	}
	return strings.Clone(v[:chaos.MaxLabelValue])
}
