package chaosgrpc

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/metadata"

	"github.com/faultline-go/faultline/chaos"
)

// The words point names are made of.
const (
	clientPrefix   = "grpc.client "
	serverFallback = "grpc.server (other)"
	clientFallback = "grpc.client (other)"
	otherName      = "(other)"
)

// maxMethodLen is the longest full method named after itself; a longer
// one, which no generated service has, is counted at the fallback point.
const maxMethodLen = 512

// side is which end of a call an interceptor runs at.
type side uint8

const (
	server side = iota
	client
)

// registry maps the full methods one interceptor sees to their points,
// and bounds how many it makes. Lookups of known methods take no lock.
type registry struct {
	e        *chaos.Engine
	cfg      config
	side     side
	fallback *method

	methods sync.Map    // full method → *method
	full    atomic.Bool // set once maxPoints methods are stored
	mu      sync.Mutex  // serialises adding methods
	n       int         // methods stored; guarded by mu
}

// method is the points of one full method: the call's, and with
// WithMessageFaults those of its stream messages (nil otherwise, and a nil
// point never fires).
type method struct {
	call, recv, send *chaos.Point
}

func newRegistry(e *chaos.Engine, opts []Option, s side) *registry {
	if e == nil {
		e = chaos.Default()
	}
	g := &registry{e: e, cfg: newConfig(opts), side: s}
	g.fallback = g.newMethod("", "")
	return g
}

// newMethod makes the points of a call named name, whose messages are
// named after base; an empty name is the fallback.
func (g *registry) newMethod(name, base string) *method {
	switch {
	case name == "" && g.side == server:
		name, base = serverFallback, otherName
	case name == "":
		name, base = clientFallback, otherName
	}
	m := &method{call: g.e.Point(name)}
	if g.cfg.messages {
		prefix := "grpc.server."
		if g.side == client {
			prefix = "grpc.client."
		}
		m.recv = g.e.Point(prefix + "recv " + base)
		m.send = g.e.Point(prefix + "send " + base)
	}
	return m
}

// method returns the points of fullMethod, adding them while the registry
// holds fewer methods than its bound, and the fallback's after.
func (g *registry) method(fullMethod string) *method {
	if v, ok := g.methods.Load(fullMethod); ok {
		return v.(*method)
	}
	if g.full.Load() || !validMethod(fullMethod) {
		return g.fallback
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if v, ok := g.methods.Load(fullMethod); ok {
		return v.(*method)
	}
	if g.cfg.maxPoints > 0 && g.n >= g.cfg.maxPoints {
		g.full.Store(true)
		return g.fallback
	}
	key := strings.Clone(fullMethod)
	name, base := key, key
	switch {
	case g.cfg.name != nil:
		name = g.cfg.name(key)
		base = name
	case g.side == client:
		name = clientPrefix + key
	}
	m := g.fallback
	if name != "" {
		m = g.newMethod(name, base)
	}
	g.methods.Store(key, m)
	g.n++
	return m
}

// validMethod reports whether s looks like a full method, "/service/method",
// short enough to be a point's name.
func validMethod(s string) bool {
	if len(s) < 4 || len(s) > maxMethodLen || s[0] != '/' {
		return false
	}
	i := strings.IndexByte(s[1:], '/')
	return i > 0 && i < len(s)-2
}

// decide evaluates p for a call with context ctx, with the labels that
// WithMetadataLabel asks for. They are gathered on the stack (DecideLabels
// keeps none of them).
func (g *registry) decide(ctx context.Context, p *chaos.Point) chaos.Decision {
	if len(g.cfg.labels) == 0 {
		return p.Decide(ctx)
	}
	var buf [4]chaos.Label
	dst := buf[:0]
	for _, ml := range g.cfg.labels {
		var v []string
		if g.side == server {
			v = metadata.ValueFromIncomingContext(ctx, ml.key)
		} else {
			v = metadata.ValueFromOutgoingContext(ctx, ml.key)
		}
		if len(v) > 0 {
			dst = append(dst, chaos.Label{Key: ml.label, Value: cutLabel(v[0])})
		}
	}
	return p.DecideLabels(ctx, dst...)
}

// cutLabel returns v, or a copy of its first chaos.MaxLabelValue bytes
// when it is longer.
func cutLabel(v string) string {
	if len(v) <= chaos.MaxLabelValue {
		return v
	}
	return strings.Clone(v[:chaos.MaxLabelValue])
}
