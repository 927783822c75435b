package chaosgrpc

import (
	"strings"

	"google.golang.org/grpc/codes"
)

// Option configures the interceptors of this package. Options are made
// only by the functions of this package; each says which interceptors it
// applies to and what happens without it.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// defaultMaxPoints is the number of distinct full methods one interceptor
// names points after, unless WithMaxPoints changes it.
const defaultMaxPoints = 1024

// config is what the options set.
type config struct {
	code      codes.Code
	name      func(fullMethod string) string
	labels    []metadataLabel
	recover   bool
	messages  bool
	maxPoints int
}

// metadataLabel copies a metadata key into a label.
type metadataLabel struct {
	key   string // lower case, as gRPC keeps metadata keys
	label string
}

func newConfig(opts []Option) config {
	c := config{code: codes.Unavailable, maxPoints: defaultMaxPoints}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// WithErrorCode sets the status code that error and badconn faults, and
// hangs that reach their bound, fail a call with. It applies to every
// interceptor. Without it, or with codes.OK, the code is
// [codes.Unavailable], the code gRPC itself reports for a server it cannot
// reach and the one retry policies usually retry. An error fault that
// names an HTTP status (error(msg,429) in the plan text) fails with the
// code that status maps to instead (see the package documentation).
func WithErrorCode(code codes.Code) Option {
	return optionFunc(func(c *config) {
		if code == codes.OK {
			code = codes.Unavailable
		}
		c.code = code
	})
}

// WithPointName names the fault point of each call with name(fullMethod)
// instead of the default naming: the full method ("/pkg.Service/Method")
// at a server, and "grpc.client " followed by it at a client. It applies
// to every interceptor, and the name is used as it is on both sides, so
// give the server and the client interceptors different functions when
// one process has both for the same method. The points of stream messages
// (see [WithMessageFaults]) are named after the name returned.
//
// Points are never removed from an engine, so name must return a small,
// bounded set of names: a service name, a method name, never something
// taken from the request. An empty name counts the call at the fallback
// point ("grpc.server (other)" or "grpc.client (other)"). name is called
// once per distinct full method, from any goroutine. A nil name keeps the
// default.
func WithPointName(name func(fullMethod string) string) Option {
	return optionFunc(func(c *config) { c.name = name })
}

// WithMetadataLabel copies the first value of the metadata key, when the
// call carries it, into the label called label, which a rule can match
// (label.tenant=acme in the plan text) or decide stickily on
// (sticky=tenant). Servers read the incoming metadata, clients the
// outgoing. It applies to every interceptor, and may be given several
// times. Metadata is read only while a rule names the call's point, so the
// option costs nothing while no plan is active. By default no metadata
// becomes a label. An empty key or label makes the option do nothing. A
// value longer than [chaos.MaxLabelValue] bytes is cut to its first
// MaxLabelValue bytes and copied, so that whatever keeps the label does
// not keep the whole value alive.
func WithMetadataLabel(key, label string) Option {
	k := strings.ToLower(key)
	return optionFunc(func(c *config) {
		if k != "" && label != "" {
			c.labels = append(c.labels, metadataLabel{key: k, label: label})
		}
	})
}

// WithRecoverPanics makes an injected panic at a server fail the call with
// [codes.Internal] instead of panicking. By default an injected panic
// propagates, as a real one in the handler would; grpc-go does not recover
// panics in handlers, so unless another interceptor recovers it, it ends
// the process. Panics raised by the handler itself are never recovered by
// this package. It does not apply to the client interceptors, where a
// panic fault always propagates to the caller.
func WithRecoverPanics() Option {
	return optionFunc(func(c *config) { c.recover = true })
}

// WithMessageFaults makes the stream interceptors evaluate fault points
// at every message as well as at the start of the stream: "grpc.server.recv
// NAME" and "grpc.server.send NAME" at a server, "grpc.client.recv NAME"
// and "grpc.client.send NAME" at a client, where NAME is the full method
// (or the name [WithPointName] gives). A rule such as
//
//	"grpc.server.send /pkg.Feed/Watch"=error(gone)[after=3]
//
// lets a stream deliver three messages and then fails it. Without the
// option, faults fire only at the start of a stream. It costs one small
// allocation per stream, and one atomic load per message while no rule
// names the message points. It does not apply to unary calls, whose one
// request and one response the call's own point covers.
func WithMessageFaults() Option {
	return optionFunc(func(c *config) { c.messages = true })
}

// WithMaxPoints bounds at n the distinct full methods one interceptor
// makes points for. Calls beyond the bound are counted at the fallback
// point, so that a server with an unknown-service handler (a proxy), which
// sees whatever method names clients send, cannot grow the engine without
// limit. Without the option, or with n == 0, the bound is 1024; a negative
// n removes it.
func WithMaxPoints(n int) Option {
	return optionFunc(func(c *config) {
		if n == 0 {
			n = defaultMaxPoints
		}
		c.maxPoints = n
	})
}
