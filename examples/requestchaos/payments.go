package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"

	"github.com/faultline-go/faultline/chaos"
)

// The payments service speaks gRPC without generated code: a service
// description written by hand, and messages as JSON.

// chargeMethod is the full method orders calls.
const chargeMethod = "/payments.Payments/Charge"

type chargeRequest struct {
	Order string `json:"order"`
	Cents int    `json:"cents"`
}

type chargeReply struct {
	Payment string `json:"payment"`
	// ChargeMS is how long the charge took at payments, in milliseconds.
	ChargeMS float64 `json:"charge_ms"`
}

// jsonCodec is the gRPC codec that marshals messages as JSON; clients
// select it with grpc.CallContentSubtype("json").
type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)      { return json.Marshal(v) }
func (jsonCodec) Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
func (jsonCodec) Name() string                       { return "json" }

func init() { encoding.RegisterCodec(jsonCodec{}) } // as grpc-go asks: at init only

// paymentsServer is the handler type of paymentsDesc.
type paymentsServer interface {
	Charge(ctx context.Context, req *chargeRequest) (*chargeReply, error)
}

var paymentsDesc = grpc.ServiceDesc{
	ServiceName: "payments.Payments",
	HandlerType: (*paymentsServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Charge",
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			req := new(chargeRequest)
			if err := dec(req); err != nil {
				return nil, err
			}
			call := func(ctx context.Context, req any) (any, error) {
				return srv.(paymentsServer).Charge(ctx, req.(*chargeRequest))
			}
			if ic == nil {
				return call(ctx, req)
			}
			return ic(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: chargeMethod}, call)
		},
	}},
}

// payments charges orders. Its point, payments.charge, stands for the
// call to the card network.
type payments struct {
	charge *chaos.Point
	n      atomic.Int64
}

// Charge evaluates payments.charge with the call's context, which carries
// the directive the server interceptor accepted, if any.
func (p *payments) Charge(ctx context.Context, req *chargeRequest) (*chargeReply, error) {
	start := time.Now()
	if err := p.charge.Inject(ctx); err != nil {
		return nil, err
	}
	took := time.Since(start)
	return &chargeReply{
		Payment:  fmt.Sprintf("pay-%d", p.n.Add(1)),
		ChargeMS: math.Round(float64(took)/float64(10*time.Microsecond)) / 100,
	}, nil
}
