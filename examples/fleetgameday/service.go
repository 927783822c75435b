package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/admin"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// The environment of an instance process: the driver starts each instance
// by running its own binary again with these set.
const (
	envInstance = "FLEETGAMEDAY_INSTANCE" // the instance id; set, the binary serves instead of driving
	envSeed     = "FLEETGAMEDAY_SEED"     // the engine's seed, the same on every instance
	envToken    = "FAULTLINE_ADMIN_TOKEN" // the admin handler's bearer token
)

// adminPrefix is where every instance mounts its admin handler.
const adminPrefix = "/debug/faultline/"

// newInstance builds one instance of the orders service: GET /orders/{id}
// looks the order up through the fault point "orders.lookup", and the
// admin handler is mounted beside it with the token, outside the
// middleware's reach.
func newInstance(e *chaos.Engine, token string) (http.Handler, func()) {
	lookup := e.Point("orders.lookup")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := lookup.Inject(r.Context()); err != nil {
			http.Error(w, "lookup failed: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, `{"id":%q,"instance":%q}`+"\n", r.PathValue("id"), e.Instance())
	})
	h := admin.New(e, admin.WithToken(token))
	root := http.NewServeMux()
	root.Handle("/", chaoshttp.Middleware(e)(mux))
	root.Handle(adminPrefix, http.StripPrefix(adminPrefix[:len(adminPrefix)-1], h))
	return root, func() { h.Close() }
}

// serveInstance runs one instance process: it listens on a free loopback
// port, writes "listening ADDR" on stdout, and serves until its stdin
// closes (the driver ends it, or the driver died).
func serveInstance(id string) error {
	seed, err := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", envSeed, err)
	}
	e := chaos.New(chaos.WithSeed(seed), chaos.WithInstance(id))
	handler, closeAdmin := newInstance(e, os.Getenv(envToken))
	defer closeAdmin()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("listening %s\n", ln.Addr())
	stdin := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdin) }()
	select {
	case <-stdin:
	case err := <-served:
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// readListening reads the "listening ADDR" line an instance writes first.
func readListening(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading the instance's address: %w", err)
	}
	var addr string
	if _, err := fmt.Sscanf(line, "listening %s", &addr); err != nil {
		return "", fmt.Errorf("instance said %q, want \"listening ADDR\"", line)
	}
	return addr, nil
}
