package chaosgrpc_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
)

// Metadata becomes labels a rule matches, at the server (incoming
// metadata) and at the client (outgoing metadata) alike; values longer
// than chaos.MaxLabelValue are matched on their first MaxLabelValue bytes.
func TestMetadataLabels(t *testing.T) {
	long := strings.Repeat("a", chaos.MaxLabelValue+50)
	cut := long[:chaos.MaxLabelValue]
	for _, tt := range []struct{ name, point string }{
		{"server", unaryMethod},
		{"client", clientUnary},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := chaos.New(chaos.WithSeed(1))
			opt := chaosgrpc.WithMetadataLabel("X-Tenant", "tenant")
			env := setup(t, serverOpts(e, opt), clientOpts(e, opt)...)
			apply(t, e, `"`+tt.point+`"=error[label.tenant=acme];"`+tt.point+`"=status(404)[label.tenant=`+cut+`]`)
			for _, c := range []struct {
				tenant string
				code   codes.Code
			}{
				{"acme", codes.Unavailable},
				{"globex", codes.OK},
				{"", codes.OK},
				{long, codes.NotFound},
			} {
				ctx := t.Context()
				if c.tenant != "" {
					ctx = metadata.AppendToOutgoingContext(ctx, "x-tenant", c.tenant)
				}
				_, err := env.client.UnaryCall(ctx, unaryReq())
				if got := status.Code(err); got != c.code {
					t.Errorf("tenant %.10q: code %v, want %v", c.tenant, got, c.code)
				}
			}
		})
	}
}

// Labels of the context (chaos.WithLabels) reach a client's rules too.
func TestContextLabels(t *testing.T) {
	e := chaos.New(chaos.WithSeed(1))
	env := setup(t, nil, clientOpts(e)...)
	apply(t, e, `"`+clientUnary+`"=error[label.job=batch]`)
	ctx := chaos.WithLabels(t.Context(), "job", "batch")
	if _, err := env.client.UnaryCall(ctx, unaryReq()); status.Code(err) != codes.Unavailable {
		t.Errorf("labelled call: %v, want Unavailable", err)
	}
	if _, err := env.client.UnaryCall(t.Context(), unaryReq()); err != nil {
		t.Errorf("unlabelled call: %v", err)
	}
}

// Events carry the metadata labels, cut and copied.
func TestMetadataLabelsInEvents(t *testing.T) {
	var got []chaos.Label
	e := chaos.New(chaos.WithSeed(1), chaos.WithObserver(chaos.ObserverFunc(func(_ context.Context, ev chaos.Event) {
		got = append([]chaos.Label(nil), ev.Labels...)
	})))
	in := chaosgrpc.UnaryServerInterceptor(e, chaosgrpc.WithMetadataLabel("x-tenant", "tenant"), chaosgrpc.WithMetadataLabel("", "ignored"))
	apply(t, e, `"`+unaryMethod+`"=error`)
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-tenant", strings.Repeat("b", 1000)))
	_, _ = in(ctx, nil, &grpc.UnaryServerInfo{FullMethod: unaryMethod}, func(context.Context, any) (any, error) { return nil, nil })
	if len(got) != 1 || got[0].Key != "tenant" || len(got[0].Value) != chaos.MaxLabelValue {
		t.Fatalf("event labels %.40v, want one tenant label of %d bytes", got, chaos.MaxLabelValue)
	}
}
