package chaosredis

// DefaultPrefix is the prefix of the point names when [WithPrefix] is not
// given: "redis.get", "redis.pipeline" and so on.
const DefaultPrefix = "redis"

// defaultMaxPoints is how many distinct command names one hook makes points
// for unless [WithMaxPoints] says otherwise.
const defaultMaxPoints = 256

// Option configures [Hook] and [Wrap]. Options are values, safe to reuse
// and to share between goroutines; only this package makes them.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	prefix    string
	maxPoints int
	addr      string
}

func newConfig(opts []Option) config {
	c := config{prefix: DefaultPrefix, maxPoints: defaultMaxPoints}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithPrefix names the hook's points prefix+".get", prefix+".pipeline" and
// so on, for a service with several Redis clients: with
// WithPrefix("redis.cache"), a rule for "redis.cache.*" touches only the
// cache, and one for "redis.*" every client. The default is
// [DefaultPrefix]; an empty prefix keeps it, and a trailing dot is dropped.
func WithPrefix(prefix string) Option {
	for len(prefix) > 0 && prefix[len(prefix)-1] == '.' {
		prefix = prefix[:len(prefix)-1]
	}
	return optionFunc(func(c *config) {
		if prefix != "" {
			c.prefix = prefix
		}
	})
}

// WithMaxPoints bounds at n the distinct command names one hook makes
// points for. Commands are code, so their names form a small set; the
// bound is there for a program that passes names it did not write to
// Client.Do. Commands beyond it are counted at one point,
// prefix+".(other)". Without the option, or with n == 0, the bound is 256;
// a negative n removes it.
func WithMaxPoints(n int) Option {
	return optionFunc(func(c *config) {
		if n == 0 {
			n = defaultMaxPoints
		}
		c.maxPoints = n
	})
}

// WithAddr sets the server address that injected network errors name, as
// in "read tcp 10.0.0.7:6379: …". [Wrap] sets it from a *redis.Client's
// options; [Hook] has no address unless given this option, and its errors
// then read "read tcp: …". It changes nothing else.
func WithAddr(addr string) Option {
	return optionFunc(func(c *config) { c.addr = addr })
}
