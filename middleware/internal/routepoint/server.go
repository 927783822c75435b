package routepoint

import (
	"net/http"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/internal/directive"
)

// Server is the decision half of a server middleware for a router that
// names each request's route by a path (echo, gin): the engine, the config
// of its options, and the registry of its points, one per route path and
// method word. It is safe for concurrent use.
type Server struct {
	e   *chaos.Engine
	cfg Config
	reg *Registry
}

// NewServer returns the Server of e (a nil e means [chaos.Default]) with
// the defaults of [NewConfig] and opts applied.
func NewServer(e *chaos.Engine, opts ...Option) *Server {
	if e == nil {
		e = chaos.Default()
	}
	cfg := NewConfig(opts...)
	return &Server{e: e, cfg: cfg, reg: NewRegistry(e, cfg.MaxPoints, nil, "")}
}

// Armed reports whether a plan with rules is applied to the engine: while
// it is false no request can fire a fault, and the middleware should pass
// the request on at once.
func (s *Server) Armed() bool { return s.e.Armed() }

// Accept reads the directive in r's baggage, if any (see
// chaos.Engine.AcceptDirective), and returns r with a context that carries
// it, and whether the engine accepted it: then the request's point decides
// on it even while s is not Armed. Without a baggage header it returns r.
func (s *Server) Accept(r *http.Request) (*http.Request, bool) {
	vs := r.Header[directive.HeaderKey]
	if len(vs) == 0 {
		return r, false
	}
	ctx, ok := directive.Accept(r.Context(), s.e, vs)
	if !ok {
		return r, false
	}
	_, accepted := chaos.DirectiveFrom(ctx)
	return r.WithContext(ctx), accepted
}

// Decide evaluates the point of request r, whose route path is route (""
// when it matched no route), and reports whether a fault fired. A request
// under an exempt path, or whose point no rule names, does not fire and
// makes no decision, unless r's context carries a directive the engine
// accepted (see Accept).
func (s *Server) Decide(r *http.Request, route string) (chaos.Decision, bool) {
	if s.cfg.Exempted(r.URL.Path) {
		return chaos.Decision{}, false
	}
	m := MethodIndex(r.Method)
	p := s.reg.Point(s.reg.Route(route), m)
	if !p.Armed() {
		if _, accepted := chaos.DirectiveFrom(r.Context()); !accepted {
			return chaos.Decision{}, false
		}
	}
	d := s.cfg.Decide(r.Context(), p, m, r.Header)
	return d, d.Fired()
}
