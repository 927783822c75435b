package chaoshttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/internal/directive"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// Transport returns an [http.RoundTripper] that evaluates a fault point of
// e for each request before base sends it. The wrapped transport comes
// first, the engine after it and options last, as for every wrapper in
// this module. A nil base means [http.DefaultTransport]; a nil e means
// [chaos.Default] at the time Transport is called.
//
// A request's point is named after the host it goes to, lower-cased:
// "http.client api.example.com" or "http.client 10.0.0.7:8080", so a rule
// can target one dependency, or every one with "http.client *". A request
// without a host is counted at "http.client (other)". Name points another
// way with [WithPointName]; a client that calls arbitrary hosts (webhooks,
// a crawler) should, since points are never removed. [WithMaxPoints] bounds
// the hosts named in any case.
//
// While no rule names the request's point, the transport costs a few
// nanoseconds and no allocation beyond base's. When one fires:
//
//   - latency waits, then sends the request. hang waits until the
//     request's context is done, for at most its bound (see [Middleware]),
//     and then fails with the injected error. If the context ends during
//     either wait, RoundTrip fails with an error that wraps the context's
//     error. The kill switch ends every wait at once, and the request is
//     then sent normally.
//   - error fails with the injected error, which matches
//     [faults.ErrInjected] (through the *url.Error of [http.Client] too);
//     so does badconn.
//   - status returns a response made up without sending the request: the
//     fault's Code, its Body as text/plain if it has one, a valid
//     Content-Length, and the request as Response.Request.
//   - abort fails with an error that reads like a connection reset by the
//     server: it matches [syscall.ECONNRESET] as well as
//     [faults.ErrInjected].
//   - corrupt sends the request and damages the real response's body: one
//     with a declared Content-Length yields its first half and then an
//     error matching [io.ErrUnexpectedEOF] (and [faults.ErrInjected]), as a
//     connection cut mid-body does; one without yields every byte inverted
//     (XOR 0xFF), so that nothing decodes it.
//   - panic panics in RoundTrip with the injected error.
//
// Every response a fault made or corrupted carries the [HeaderInjected]
// header. When a fault keeps the request from being sent, RoundTrip closes
// its body, as the RoundTripper contract requires. The request's labels
// are [LabelMethod] and those of [WithHeaderLabel]. Options meant for a
// server ([WithServeMux], [WithRecoverPanics]) do nothing here.
//
// The transport is safe for concurrent use, as base must be. It forwards
// CloseIdleConnections to base, so [http.Client.CloseIdleConnections]
// reaches it.
func Transport(base http.RoundTripper, e *chaos.Engine, opts ...Option) http.RoundTripper {
	if e == nil {
		e = chaos.Default()
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, g: newRegistry(e, newConfig(opts), true)}
}

// transport is the RoundTripper Transport returns.
type transport struct {
	base  http.RoundTripper
	g     *registry
	first atomic.Pointer[route] // the first route seen; see routepoint.Registry.Cached
}

var _ http.RoundTripper = (*transport)(nil)

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var accepted bool
	if chaos.DirectiveToken(req.Context()) != "" { // inlined: one atomic load until a directive is seen
		req, accepted = directive.ForwardRequest(req)
	}
	// The common case, inlined: the host seen first.
	var p *chaos.Point
	if rt := t.first.Load(); rt != nil && t.g.cfg.name == nil && req.URL != nil && routepoint.SameString(rt.Key(), req.URL.Host) {
		p = rt.Fixed()
	} else {
		p = t.point(req)
	}
	if !p.Armed() && !accepted {
		return t.base.RoundTrip(req)
	}
	return t.roundTripArmed(req, p)
}

// CloseIdleConnections closes the idle connections of base, if it has any.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// point returns the fault point of req.
func (t *transport) point(req *http.Request) *chaos.Point {
	key := ""
	if name := t.g.cfg.name; name != nil {
		key = name(req)
	} else if req.URL != nil {
		key = req.URL.Host
	}
	return t.g.Cached(&t.first, key).Fixed()
}

// roundTripArmed sends req while a rule names its point p.
func (t *transport) roundTripArmed(req *http.Request, p *chaos.Point) (*http.Response, error) {
	ctx := req.Context()
	d := t.g.cfg.Decide(ctx, p, routepoint.MethodIndex(req.Method), req.Header)
	if !d.Fired() {
		return t.base.RoundTrip(req)
	}
	switch f := d.Fault(); f.Kind {
	case faults.KindLatency, faults.KindHang:
		err := d.Inject(ctx)
		switch {
		case err == nil: // waited out, or cut short by the kill switch
			return t.base.RoundTrip(req)
		case errors.Is(err, faults.ErrInjected): // a hang reached its bound
			closeBody(req)
			return nil, err
		}
		closeBody(req)
		return nil, fmt.Errorf("chaoshttp: waiting out injected %v at %s: %w", d.Kind(), d.Point(), err)
	case faults.KindStatus:
		closeBody(req)
		return synthesize(req, f.Code, f.Body, routepoint.InjectedValue(f.Kind, d.Point())), nil
	case faults.KindPanic:
		closeBody(req)
		panic(d.Err())
	case faults.KindCorrupt:
		resp, err := t.base.RoundTrip(req)
		if err != nil || resp == nil {
			return resp, err
		}
		if resp.Header == nil {
			resp.Header = make(http.Header)
		}
		resp.Header.Set(HeaderInjected, routepoint.InjectedValue(f.Kind, d.Point()))
		if resp.Body == nil || resp.Body == http.NoBody || resp.ContentLength == 0 {
			return resp, nil // nothing to truncate
		}
		left := int64(-1)
		if resp.ContentLength > 0 {
			left = resp.ContentLength / 2
		}
		resp.Body = &corruptBody{body: resp.Body, left: left, err: fmt.Errorf("%w (%w)", io.ErrUnexpectedEOF, d.Err())}
		return resp, nil
	default: // error, abort, badconn
		closeBody(req)
		return nil, d.Err()
	}
}

// closeBody closes the body of a request that will not be sent.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close() // the request failed already; a close error adds nothing
	}
}

// synthesize returns the response a status fault makes for req.
func synthesize(req *http.Request, code int, body, value string) *http.Response {
	resp := &http.Response{
		Status:     statusLine(code),
		StatusCode: code,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{HeaderInjected: {value}},
		Body:       http.NoBody,
		Request:    req,
	}
	if !routepoint.BodyAllowed(code) {
		return resp
	}
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	if body != "" {
		resp.Header.Set("Content-Type", "text/plain; charset=utf-8")
		if req.Method != http.MethodHead {
			resp.Body = io.NopCloser(strings.NewReader(body))
		}
	}
	return resp
}
