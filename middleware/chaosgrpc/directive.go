package chaosgrpc

import (
	"context"

	"google.golang.org/grpc/metadata"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/internal/directive"
)

// acceptDirective reads the directive of an incoming call's baggage
// metadata, if any (see chaos.Engine.AcceptDirective), and returns the
// call's context carrying it, and whether the engine accepted it, so that
// the call's point decides on it even while no rule of the plan names it.
func (g *registry) acceptDirective(ctx context.Context) (context.Context, bool) {
	vs := metadata.ValueFromIncomingContext(ctx, directive.MetadataKey)
	if len(vs) == 0 {
		return ctx, false
	}
	ctx, ok := directive.Accept(ctx, g.e, vs)
	if !ok {
		return ctx, false
	}
	_, accepted := chaos.DirectiveFrom(ctx)
	return ctx, accepted
}

// forwardDirective returns the context of an outgoing call with the
// directive ctx carries added to its baggage metadata, unchanged, so that
// it reaches the next service; and whether the engine accepted that
// directive here, so that the client's point decides on it.
func forwardDirective(ctx context.Context) (context.Context, bool) {
	if chaos.DirectiveToken(ctx) == "" {
		return ctx, false
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	vs, added, accepted := directive.Forward(ctx, md.Get(directive.MetadataKey))
	if added {
		ctx = metadata.AppendToOutgoingContext(ctx, directive.MetadataKey, vs[len(vs)-1])
	}
	return ctx, accepted
}
