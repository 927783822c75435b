package routepoint

import (
	"net/http"

	"github.com/faultline-go/faultline/chaos"
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

// Decide evaluates the point of request r, whose route path is route (""
// when it matched no route), and reports whether a fault fired. A request
// under an exempt path, or whose point no rule names, does not fire and
// makes no decision.
func (s *Server) Decide(r *http.Request, route string) (chaos.Decision, bool) {
	if s.cfg.Exempted(r.URL.Path) {
		return chaos.Decision{}, false
	}
	m := MethodIndex(r.Method)
	p := s.reg.Point(s.reg.Route(route), m)
	if !p.Armed() {
		return chaos.Decision{}, false
	}
	d := s.cfg.Decide(r.Context(), p, m, r.Header)
	return d, d.Fired()
}
