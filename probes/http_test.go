package probes_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/probes"
	"github.com/google/go-cmp/cmp"
)

// serviceMux is the system under test for HTTP probes: a few endpoints with
// fixed answers.
func serviceMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /down", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /private", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer probe" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, strings.Repeat("x", 1<<20))
	})
	return mux
}

// TestHTTPServer checks HTTP probes against a real server. Latencies are
// real, so it compares everything but the measured time.
func TestHTTPServer(t *testing.T) {
	srv := httptest.NewServer(serviceMux())
	t.Cleanup(srv.Close)
	closed := httptest.NewServer(serviceMux())
	closed.Close()

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name       string
		url        string
		opts       []probes.HTTPOption
		ctx        context.Context
		wantOK     bool
		wantPrefix string // of Observed
		wantSuffix string // of Observed
		wantErr    string // prefix of Err
	}{
		{name: "2xx passes", url: srv.URL + "/healthz", wantOK: true,
			wantPrefix: "status 200 in ", wantSuffix: " (want 2xx)"},
		{name: "503 fails", url: srv.URL + "/down",
			wantPrefix: "status 503 in ", wantErr: "probes: status 503, want 2xx"},
		{name: "wanted 503 passes", url: srv.URL + "/down", opts: []probes.HTTPOption{probes.WithStatus(503)}, wantOK: true,
			wantPrefix: "status 503 in ", wantSuffix: " (want 503)"},
		{name: "status list", url: srv.URL + "/orders",
			opts:       []probes.HTTPOption{probes.WithMethod(http.MethodPost), probes.WithStatus(200, 202, 204)},
			wantPrefix: "status 201 in ", wantSuffix: " (want 200, 202 or 204)", wantErr: "probes: status 201, want 200, 202 or 204"},
		{name: "method", url: srv.URL + "/orders", opts: []probes.HTTPOption{probes.WithMethod(http.MethodPost)}, wantOK: true,
			wantPrefix: "status 201 in "},
		{name: "wrong method", url: srv.URL + "/orders",
			wantPrefix: "status 405 in ", wantErr: "probes: status 405, want 2xx"},
		{name: "header", url: srv.URL + "/private", opts: []probes.HTTPOption{probes.WithHeader("Authorization", "Bearer probe")}, wantOK: true,
			wantPrefix: "status 200 in "},
		{name: "missing header", url: srv.URL + "/private",
			wantPrefix: "status 401 in ", wantErr: "probes: status 401, want 2xx"},
		{name: "big body", url: srv.URL + "/big", wantOK: true, wantPrefix: "status 200 in "},
		{name: "own client", url: srv.URL + "/healthz", opts: []probes.HTTPOption{probes.WithClient(srv.Client()), nil}, wantOK: true,
			wantPrefix: "status 200 in "},
		{name: "too slow", url: srv.URL + "/healthz", opts: []probes.HTTPOption{probes.WithMaxLatency(time.Nanosecond)},
			wantPrefix: "status 200 in ", wantSuffix: " (want 2xx within 1ns)", wantErr: "probes: took "},
		{name: "no server", url: closed.URL + "/healthz",
			wantPrefix: "no response after ", wantErr: "probes: send request: Get \"" + closed.URL + "/healthz\": "},
		{name: "bad url", url: "http://[::1", wantPrefix: "not checked", wantErr: "probes: build request: "},
		{name: "ctx cancelled", url: srv.URL + "/healthz", ctx: cancelled,
			wantPrefix: "not checked", wantErr: "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := probes.HTTP("api", tt.url, tt.opts...).Check(ctxOr(t, tt.ctx))
			checkLoose(t, got, "api", tt.wantOK, tt.wantPrefix, tt.wantSuffix, tt.wantErr)
		})
	}
}

// recorderTransport serves requests with a handler in the same goroutine,
// so that HTTP probes run inside a synctest bubble on fake time.
type recorderTransport struct{ h http.Handler }

func (rt recorderTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rt.h.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

// TestHTTPFakeTime checks latency limits and timeouts on fake time, where
// every Result is exact.
func TestHTTPFakeTime(t *testing.T) {
	mux := serviceMux()
	mux.HandleFunc("GET /slow/{d}", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.PathValue("d"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	})
	client := &http.Client{Transport: recorderTransport{mux}}
	tests := []struct {
		name string
		path string
		opts []probes.HTTPOption
		want probes.Result
	}{
		{
			name: "fast enough",
			path: "/slow/150ms",
			opts: []probes.HTTPOption{probes.WithMaxLatency(200 * time.Millisecond)},
			want: probes.Result{Probe: "api", OK: true, Observed: "status 200 in 150ms (want 2xx within 200ms)", Duration: 150 * time.Millisecond},
		},
		{
			name: "at the limit",
			path: "/slow/200ms",
			opts: []probes.HTTPOption{probes.WithMaxLatency(200 * time.Millisecond)},
			want: probes.Result{Probe: "api", OK: true, Observed: "status 200 in 200ms (want 2xx within 200ms)", Duration: 200 * time.Millisecond},
		},
		{
			name: "too slow",
			path: "/slow/300ms",
			opts: []probes.HTTPOption{probes.WithMaxLatency(200 * time.Millisecond)},
			want: probes.Result{
				Probe: "api", Observed: "status 200 in 300ms (want 2xx within 200ms)",
				Err: "probes: took 300ms, want within 200ms", Duration: 300 * time.Millisecond,
			},
		},
		{
			name: "wrong status wins over latency",
			path: "/down",
			opts: []probes.HTTPOption{probes.WithMaxLatency(time.Nanosecond)},
			want: probes.Result{Probe: "api", Observed: "status 503 in 0s (want 2xx within 1ns)", Err: "probes: status 503, want 2xx"},
		},
		{
			name: "default timeout",
			path: "/slow/1m",
			want: probes.Result{
				Probe: "api", Observed: "no response after 5s (want 2xx)",
				Err: `probes: send request: Get "http://svc/slow/1m": context deadline exceeded`, Duration: 5 * time.Second,
			},
		},
		{
			name: "own timeout",
			path: "/slow/1m",
			opts: []probes.HTTPOption{probes.WithTimeout(time.Second)},
			want: probes.Result{
				Probe: "api", Observed: "no response after 1s (want 2xx)",
				Err: `probes: send request: Get "http://svc/slow/1m": context deadline exceeded`, Duration: time.Second,
			},
		},
		{
			name: "zero timeout is the default",
			path: "/slow/1m",
			opts: []probes.HTTPOption{probes.WithTimeout(0)},
			want: probes.Result{
				Probe: "api", Observed: "no response after 5s (want 2xx)",
				Err: `probes: send request: Get "http://svc/slow/1m": context deadline exceeded`, Duration: 5 * time.Second,
			},
		},
		{
			name: "negative timeout is none",
			path: "/slow/1m",
			opts: []probes.HTTPOption{probes.WithTimeout(-1)},
			want: probes.Result{Probe: "api", OK: true, Observed: "status 200 in 1m0s (want 2xx)", Duration: time.Minute},
		},
		{
			name: "negative max latency is none",
			path: "/slow/1m",
			opts: []probes.HTTPOption{probes.WithTimeout(-1), probes.WithMaxLatency(-1)},
			want: probes.Result{Probe: "api", OK: true, Observed: "status 200 in 1m0s (want 2xx)", Duration: time.Minute},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				opts := append([]probes.HTTPOption{probes.WithClient(client)}, tt.opts...)
				p := probes.HTTP("api", "http://svc"+tt.path, opts...)
				got := p.Check(t.Context())
				if diff := cmp.Diff(tt.want, got, proseOnly); diff != "" {
					t.Errorf("Check() mismatch (-want +got):\n%s", diff)
				}
				// The same check on fake time gives the same Result.
				if again := p.Check(t.Context()); again != got {
					t.Errorf("second Check() = %+v, want %+v", again, got)
				}
			})
		})
	}
}
