package chaosfx_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/fx"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaosfx"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

func TestMiddleware(t *testing.T) {
	var (
		e  *chaos.Engine
		mw chaosfx.Middleware
	)
	start(t,
		fx.Supply(chaosfx.Config{Seed: 1, HTTPOptions: []chaoshttp.Option{chaoshttp.WithHeaderLabel("X-Tenant", "tenant")}}),
		fx.Populate(&e, &mw),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /quote", mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "42")
	})))
	serve := func(tenant string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/quote", nil)
		req.Header.Set("X-Tenant", tenant)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}

	if rec := serve("acme"); rec.Code != http.StatusOK || rec.Body.String() != "42" {
		t.Fatalf("without a plan: %d %q", rec.Code, rec.Body)
	}
	chaostest.Enable(t, e, `"GET /quote"=status(503)[label.tenant=acme]`)
	tests := []struct {
		tenant   string
		code     int
		injected bool
	}{
		{"acme", http.StatusServiceUnavailable, true},
		{"globex", http.StatusOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.tenant, func(t *testing.T) {
			rec := serve(tt.tenant)
			if rec.Code != tt.code {
				t.Errorf("status %d, want %d", rec.Code, tt.code)
			}
			if got := rec.Header().Get(chaoshttp.HeaderInjected) != ""; got != tt.injected {
				t.Errorf("%s header present: %v, want %v", chaoshttp.HeaderInjected, got, tt.injected)
			}
		})
	}
}

func TestTransport(t *testing.T) {
	var (
		e  *chaos.Engine
		tr chaosfx.Transport
	)
	start(t,
		fx.Supply(chaosfx.Config{Seed: 1, HTTPOptions: []chaoshttp.Option{chaoshttp.WithHeaderLabel("X-Tenant", "tenant")}}),
		fx.Populate(&e, &tr),
	)
	sent := 0
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent++
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
	})
	byHost := &http.Client{Transport: tr(base)}
	// A client whose points are named by a per-call option, on top of the
	// Config's header label.
	ledger := &http.Client{Transport: tr(base, chaoshttp.WithPointName(func(*http.Request) string { return "http.client ledger" }))}
	chaostest.Enable(t, e, `"http.client payments.internal"=error(payments down);"http.client ledger"=status(503)[label.tenant=acme]`)

	tests := []struct {
		name   string
		client *http.Client
		url    string
		tenant string
		err    bool // the fault fails the call
		code   int  // otherwise, the status code
		sent   bool // the request reached base
	}{
		{"named by host", byHost, "http://payments.internal/charge", "", true, 0, false},
		{"another host", byHost, "http://ledger.internal/entries", "", false, http.StatusOK, true},
		{"named by option, label matches", ledger, "http://10.0.0.7:8080/entries", "acme", false, http.StatusServiceUnavailable, false},
		{"named by option, label differs", ledger, "http://10.0.0.7:8080/entries", "globex", false, http.StatusOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sent
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Tenant", tt.tenant)
			resp, err := tt.client.Do(req)
			if tt.err {
				if !errors.Is(err, faults.ErrInjected) {
					t.Fatalf("Do = %v, want an injected error", err)
				}
			} else {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.code {
					t.Errorf("status %d, want %d", resp.StatusCode, tt.code)
				}
			}
			if got := sent > before; got != tt.sent {
				t.Errorf("request reached base: %v, want %v", got, tt.sent)
			}
		})
	}
}
