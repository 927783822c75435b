package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/open-feature/go-sdk/openfeature/memprovider"
	"go.uber.org/fx"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
	ofsource "github.com/faultline-go/faultline/chaos/source/ofsource"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosfx"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// flagKey is the feature flag that holds the fault plan.
const flagKey = "faultline-plan"

// settings are what main's flags decide, supplied to the application.
type settings struct {
	addr  string // where the server listens
	seed  uint64 // the engine's seed
	serve bool   // keep serving instead of running the demo
}

// module is the service: its flag system, its faultline configuration, its
// HTTP server and its client. main adds chaosfx.Module to it.
var module = fx.Options(
	fx.Provide(
		newFlags,
		newChaosConfig,
		newMux,
		newServer,
		newClient,
	),
	fx.Invoke(func(*server) {}), // the server runs even though nothing asks for it
)

// flags is the service's feature-flag system: an OpenFeature API of its own
// over an in-memory provider, which stands in for LaunchDarkly, flagd or
// the like. Setting the flag is what an operator does in the flag system's
// console.
type flags struct {
	api      *of.EvaluationAPI
	provider *memprovider.InMemoryProvider
	client   *of.Client
}

// newFlags returns the flag system, with the plan flag off. Its provider is
// registered when the application starts (before faultline's sources,
// which start after it) and shut down when it stops (after them).
func newFlags(lc fx.Lifecycle) *flags {
	f := &flags{
		api:      isolated.NewAPI(),
		provider: memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{flagKey: planFlag("")}),
	}
	f.client = f.api.NewClient()
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			if err := f.api.SetProviderAndWait(ctx, f.provider); err != nil {
				return fmt.Errorf("starting the flag provider: %w", err)
			}
			return nil
		},
		OnStop: f.api.Shutdown,
	})
	return f
}

// set puts plan, in faultline's text or JSON form, in the flag; the empty
// string turns the flag off, which switches every fault off.
func (f *flags) set(plan string) {
	f.provider.UpdateFlags(map[string]memprovider.InMemoryFlag{flagKey: planFlag(plan)})
}

// planFlag is the in-memory flag holding plan, disabled when plan is empty.
func planFlag(plan string) memprovider.InMemoryFlag {
	state := memprovider.Enabled
	if plan == "" {
		state = memprovider.Disabled
	}
	return memprovider.InMemoryFlag{
		Key:            flagKey,
		State:          state,
		DefaultVariant: "plan",
		Variants:       map[string]any{"plan": plan},
	}
}

// updates carries what faultline's source runner did with each read of the
// flag, so the demo can wait for a flag change to take effect.
type updates chan source.RunnerStatus

// newChaosConfig configures faultline: a fixed seed, so that a run replays;
// a policy that keeps panics and hangs out whatever the flag says; and the
// flag as the plan source. When serving with FAULTLINE_PLAN set, the plan
// comes from the environment instead.
func newChaosConfig(s settings, f *flags) (chaosfx.Config, updates) {
	ch := make(updates, 16)
	src := source.Source(ofsource.New(f.client, flagKey))
	if s.serve && strings.TrimSpace(os.Getenv(source.EnvVar)) != "" {
		src = source.Env()
	}
	return chaosfx.Config{
		Seed:     s.seed,
		Instance: "fxservice-1",
		Policy: chaos.Policy{
			Kinds:      []faults.Kind{faults.KindLatency, faults.KindError, faults.KindStatus, faults.KindAbort},
			MaxRate:    0.5,
			MaxLatency: time.Second,
			MaxRules:   5,
		},
		Sources: []source.Source{src},
		RunnerOptions: []source.RunnerOption{source.WithOnUpdate(func(st source.RunnerStatus) {
			select {
			case ch <- st:
			default: // nobody is waiting: never block the runner
			}
		})},
	}, ch
}

// newMux routes the service's endpoints. GET /quote, the service's one
// real endpoint, runs under faultline's middleware. GET and PUT /flag are
// the flag system's console and faultline's status, for -serve.
func newMux(mw chaosfx.Middleware, f *flags, e *chaos.Engine, src *chaosfx.Sources) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /quote", mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"symbol":"FLT","price":42.17}`)
	})))
	mux.HandleFunc("PUT /flag", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		plan := strings.TrimSpace(string(b))
		if _, err := chaos.ParsePlan(plan); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.set(plan)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("GET /flag", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Active  chaos.Active          `json:"active"`
			Sources []source.RunnerStatus `json:"sources"`
		}{e.Active(), src.Status()})
	})
	return mux
}

// server is the service's HTTP server, listening from the application's
// start to its stop.
type server struct {
	srv  *http.Server
	addr string        // the address it listens on, known once started
	done chan struct{} // closed when Serve has returned
}

func newServer(lc fx.Lifecycle, s settings, mux *http.ServeMux) *server {
	sv := &server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, done: make(chan struct{})}
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.addr)
			if err != nil {
				return fmt.Errorf("listening on %s: %w", s.addr, err)
			}
			sv.addr = ln.Addr().String()
			go func() {
				defer close(sv.done)
				if err := sv.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
					fmt.Fprintln(os.Stderr, "fxservice: serve:", err)
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			err := sv.srv.Shutdown(ctx)
			<-sv.done
			return err
		},
	})
	return sv
}

// clientPoint names the fault point of every call the client makes. By
// default a client's points are named after the host and port it calls;
// this one calls a server on a port that changes from run to run, and a
// point's name goes into every fault decision, so a fixed name keeps the
// demo's faults the same for the same seed.
const clientPoint = "http.client quotes"

// newClient returns the client the service calls the quotes service with
// (here, itself), through faultline's transport, so that client-side
// faults apply too.
func newClient(lc fx.Lifecycle, tr chaosfx.Transport) *http.Client {
	base := &http.Transport{MaxIdleConnsPerHost: 4}
	lc.Append(fx.StopHook(base.CloseIdleConnections))
	name := chaoshttp.WithPointName(func(*http.Request) string { return clientPoint })
	return &http.Client{Transport: tr(base, name), Timeout: 5 * time.Second}
}
