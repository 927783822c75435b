package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/middleware/chaosgrpc"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// issuer is the one issuer whose directives the services accept.
const issuer = "requestchaos"

// service is one of the three: its engine, and where it listens.
type service struct {
	Name   string
	Engine *chaos.Engine
	// URL is the base URL of its HTTP API: the gateway's and orders'.
	URL string
	// Admin is the base URL of its admin API (admin.New), ending in '/'.
	Admin string
}

// services are gateway → orders → payments, started by startServices.
type services struct {
	Gateway, Orders, Payments service
	// AdminToken lets a request into every service's admin API.
	AdminToken string
	stops      []func(context.Context) error // Close calls them last first
}

// newEngine returns a service's engine: a production policy that accepts
// directives of issuer signed with key, living at most a minute, whose
// rules may fire on every request that carries them.
func newEngine(name string, key chaos.DirectiveKey) *chaos.Engine {
	p := chaos.ProductionPolicy()
	p.Requests = chaos.RequestPolicy{Allow: true, MaxRate: 1, MaxTTL: time.Minute, Issuers: []string{issuer}}
	return chaos.New(chaos.WithInstance(name), chaos.WithPolicy(p), chaos.WithDirectiveKeys(key))
}

// startServices starts the three services on loopback, each with its own
// engine holding key. Close stops them.
func startServices(key chaos.DirectiveKey, adminToken string) (_ *services, err error) {
	s := &services{AdminToken: adminToken}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()

	// payments: a gRPC server, and its admin API on an HTTP listener of
	// its own.
	s.Payments = service{Name: "payments", Engine: newEngine("payments", key)}
	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(s.Payments.Engine)),
		grpc.ChainStreamInterceptor(chaosgrpc.StreamServerInterceptor(s.Payments.Engine)),
	)
	gs.RegisterService(&paymentsDesc, &payments{charge: s.Payments.Engine.Point("payments.charge")})
	paymentsAddr, err := s.serveGRPC(gs)
	if err != nil {
		return nil, err
	}
	adminURL, err := s.serveHTTP(s.mountAdmin(http.NewServeMux(), s.Payments.Engine))
	if err != nil {
		return nil, err
	}
	s.Payments.Admin = adminURL + chaoshttp.AdminPrefix

	// orders: HTTP in, gRPC out to payments.
	s.Orders = service{Name: "orders", Engine: newEngine("orders", key)}
	conn, err := grpc.NewClient(paymentsAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(s.Orders.Engine)),
		grpc.WithChainStreamInterceptor(chaosgrpc.StreamClientInterceptor(s.Orders.Engine)),
		grpc.WithDefaultCallOptions(grpc.CallContentSubtype(jsonCodec{}.Name())),
	)
	if err != nil {
		return nil, fmt.Errorf("orders: payments client: %w", err)
	}
	s.stops = append(s.stops, func(context.Context) error { return conn.Close() })
	create := s.Orders.Engine.Point("orders.create")
	mux := s.mountAdmin(http.NewServeMux(), s.Orders.Engine)
	mux.Handle("POST /orders", chaoshttp.Middleware(s.Orders.Engine)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// r.Context() carries the directive the middleware accepted:
		// orders' own points apply it, and the gRPC client forwards it.
		if err := create.Inject(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var reply chargeReply
		if err := conn.Invoke(r.Context(), chargeMethod, &chargeRequest{Order: "o-1", Cents: 4200}, &reply); err != nil {
			http.Error(w, "payments: "+err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct {
			Order string `json:"order"`
			chargeReply
		}{"o-1", reply})
	})))
	if s.Orders.URL, err = s.serveHTTP(mux); err != nil {
		return nil, err
	}
	s.Orders.Admin = s.Orders.URL + chaoshttp.AdminPrefix

	// gateway: HTTP in, HTTP out to orders through chaoshttp.Transport,
	// which forwards the directive of the request's context.
	s.Gateway = service{Name: "gateway", Engine: newEngine("gateway", key)}
	base := http.DefaultTransport.(*http.Transport).Clone()
	s.stops = append(s.stops, func(context.Context) error { base.CloseIdleConnections(); return nil })
	client := &http.Client{Transport: chaoshttp.Transport(base, s.Gateway.Engine), Timeout: 5 * time.Second}
	mux = s.mountAdmin(http.NewServeMux(), s.Gateway.Engine)
	mux.Handle("POST /checkout", chaoshttp.Middleware(s.Gateway.Engine)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, s.Orders.URL+"/orders", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "orders: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})))
	if s.Gateway.URL, err = s.serveHTTP(mux); err != nil {
		return nil, err
	}
	s.Gateway.Admin = s.Gateway.URL + chaoshttp.AdminPrefix
	return s, nil
}

// mountAdmin mounts e's admin handler on mux under chaoshttp.AdminPrefix.
func (s *services) mountAdmin(mux *http.ServeMux, e *chaos.Engine) *http.ServeMux {
	h := admin.New(e, admin.WithToken(s.AdminToken))
	s.stops = append(s.stops, func(context.Context) error { return h.Close() })
	mux.Handle(chaoshttp.AdminPrefix, http.StripPrefix(strings.TrimSuffix(chaoshttp.AdminPrefix, "/"), h))
	return mux
}

// serveHTTP serves h on a loopback port and returns its base URL.
func (s *services) serveHTTP(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	s.stops = append(s.stops, srv.Shutdown)
	return "http://" + ln.Addr().String(), nil
}

// serveGRPC serves gs on a loopback port and returns its address.
func (s *services) serveGRPC(gs *grpc.Server) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go gs.Serve(ln)
	s.stops = append(s.stops, func(context.Context) error { gs.GracefulStop(); return nil })
	return ln.Addr().String(), nil
}

// Close stops what startServices started, last first, as deferred calls
// run: each server stops before the clients and admin handler it uses.
func (s *services) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for i := len(s.stops) - 1; i >= 0; i-- {
		errs = append(errs, s.stops[i](ctx))
	}
	s.stops = nil
	return errors.Join(errs...)
}
