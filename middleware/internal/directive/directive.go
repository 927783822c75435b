// Package directive reads and forwards the W3C baggage member that
// carries a faultline directive (see chaos.DirectiveBaggageKey), for the
// HTTP and gRPC middleware: an HTTP header and gRPC metadata both hold
// baggage as a list of values.
package directive

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/baggage"

	"github.com/faultline-go/faultline/chaos"
)

// HeaderKey is the baggage header as net/http keys it in an http.Header.
const HeaderKey = "Baggage"

// MetadataKey is the baggage key in gRPC metadata, which keys in lower
// case.
const MetadataKey = "baggage"

// member is how the directive's member starts in a baggage value.
const member = chaos.DirectiveBaggageKey + "="

// Token returns the directive token in the baggage values vs. ok reports
// that a value names the member; token is then "" if the baggage that
// holds it does not parse, which the caller counts as a malformed
// directive. Values that do not name the member are not parsed, so that a
// request whose baggage carries other members only costs a substring
// search.
func Token(vs []string) (token string, ok bool) {
	for _, v := range vs {
		if !strings.Contains(v, member) {
			continue
		}
		b, err := baggage.Parse(v)
		if err != nil {
			return "", true
		}
		if m := b.Member(chaos.DirectiveBaggageKey); m.Key() != "" {
			return m.Value(), true
		}
	}
	return "", false
}

// Accept reads the directive in the baggage values vs, if any, and
// returns ctx as e.AcceptDirective makes it: carrying the token to
// forward, and its rules if e accepts them. A refused directive is counted
// by the engine and never fails the request. ok reports whether vs named a
// directive at all.
func Accept(ctx context.Context, e *chaos.Engine, vs []string) (_ context.Context, ok bool) {
	tok, ok := Token(vs)
	if !ok {
		return ctx, false
	}
	if tok == "" {
		// The baggage holding it does not parse: the engine counts an
		// empty token as malformed, and nothing is forwarded, since there
		// is no token to keep unchanged.
		_, _ = e.AcceptDirective(ctx, "")
		return ctx, true
	}
	ctx, _ = e.AcceptDirective(ctx, tok)
	return ctx, true
}

// Forward returns the baggage values vs with ctx's directive token added
// as a member, and whether it added it: not when ctx carries none, nor
// when vs already name the member (the caller's own baggage, or a
// propagator's, wins, and a directive is never replaced on the way).
// accepted reports whether the engine that made ctx accepted the
// directive, so that the client's own points decide on it.
func Forward(ctx context.Context, vs []string) (out []string, added, accepted bool) {
	tok := chaos.DirectiveToken(ctx)
	if tok == "" {
		return vs, false, false
	}
	_, accepted = chaos.DirectiveFrom(ctx)
	for _, v := range vs {
		if strings.Contains(v, member) {
			return vs, false, accepted
		}
	}
	out = make([]string, len(vs), len(vs)+1)
	copy(out, vs)
	return append(out, member+tok), true, accepted
}

// ForwardRequest returns req with the directive its context carries added
// to its baggage (see Forward), cloning req only when it adds the member,
// and whether the engine that made the context accepted the directive.
func ForwardRequest(req *http.Request) (*http.Request, bool) {
	ctx := req.Context()
	vs, added, accepted := Forward(ctx, req.Header[HeaderKey])
	if added {
		req = req.Clone(ctx)
		req.Header[HeaderKey] = vs
	}
	return req, accepted
}
