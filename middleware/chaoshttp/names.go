package chaoshttp

import (
	"strings"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// LabelMethod ("method") is the label that carries the request method
// ("GET", "POST", …, or "OTHER" for a method outside the standard nine),
// for rules such as label.method=POST. Methods are named with a bounded
// set of ten words, so that names and labels stay bounded whatever clients
// send.
const LabelMethod = routepoint.LabelMethod

// Fallback names: the point of a request the namer cannot name within
// bounds.
const (
	clientPrefix   = "http.client "        // client, before the host
	clientFallback = "http.client (other)" // client without a host, or beyond the bound
)

// serverName returns the point name of a server route key (a ServeMux
// pattern) for the method word at index m, and whether the name is the
// same for every method. A pattern that names a method is the name, with
// the space after the method normalised; any other pattern is prefixed by
// the request's method word; the empty key is "METHOD (unmatched)".
func serverName(key string, m int) (name string, fixed bool) {
	i := strings.IndexAny(key, " \t")
	if i < 0 { // the empty key too
		return routepoint.PointName(key, m), false
	}
	rest := strings.TrimLeft(key[i:], " \t")
	if len(rest) == len(key)-i-1 && key[i] == ' ' {
		return key, true // already "METHOD /path"
	}
	return key[:i] + " " + rest, true
}

// clientName returns the point name of a client route key (a host).
func clientName(host string) string {
	if host == "" {
		return clientFallback
	}
	return clientPrefix + strings.ToLower(host)
}

// registry is the points of one Middleware or Transport, by route key
// (patterns, custom names or hosts; see routepoint.Registry), with the
// engine and config they were made with.
type registry struct {
	*routepoint.Registry
	e   *chaos.Engine
	cfg config
}

// route is the points of one route key.
type route = routepoint.Route

func newRegistry(e *chaos.Engine, cfg config, client bool) *registry {
	fixed := func(key string) string { // the point of key for every method, if it has one
		switch {
		case client && cfg.name == nil:
			return clientName(key)
		case cfg.name != nil:
			return key
		}
		if name, fixed := serverName(key, 0); fixed {
			return name
		}
		return ""
	}
	fallback := ""
	if client {
		fallback = clientFallback
	}
	return &registry{Registry: routepoint.NewRegistry(e, cfg.MaxPoints, fixed, fallback), e: e, cfg: cfg}
}
