package resilience_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/faultline-go/faultline/middleware/chaoshttp"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// TestOutcomesHTTP: faults injected by chaoshttp.Transport into real
// loopback requests, under resilience.Transport's Retry, and under a
// Fallback around the whole request, are counted at the client point.
func TestOutcomesHTTP(t *testing.T) {
	tests := []struct {
		name   string
		plan   string
		status int  // what the server answers
		outer  bool // a Fallback around the request
		want   outcomes
		// wantStatus is the status the caller sees; 0 for an error.
		wantStatus int
	}{
		{name: "retry absorbs", plan: "2*error", status: 200, want: outcomes{2, 2, 0}, wantStatus: 200},
		{name: "retry gives up", plan: "error", status: 200, want: outcomes{3, 0, 3}},
		{name: "abort under a fallback", plan: "abort", status: 200, outer: true, want: outcomes{3, 3, 0}, wantStatus: 299},
		{name: "a failure status ends it", plan: "2*error", status: 503, want: outcomes{2, 0, 2}, wantStatus: 503},
		{name: "a failure status ends it under a fallback", plan: "2*error", status: 503, outer: true, want: outcomes{2, 0, 2}, wantStatus: 503},
		{name: "status faults are responses", plan: "status(503)", status: 200, want: outcomes{3, 0, 0}, wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			e := engineWith(t, `"http.client *"=`+tt.plan)
			client := &http.Client{Transport: resilience.Transport(
				chaoshttp.Transport(srv.Client().Transport, e),
				now(3),
				resilience.WithFailureStatus(resilience.TransientStatus),
			)}
			defer client.CloseIdleConnections()

			get := func(ctx context.Context) (int, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
				if err != nil {
					return 0, err
				}
				resp, err := client.Do(req)
				if err != nil {
					return 0, err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				return resp.StatusCode, nil
			}
			var code int
			if tt.outer {
				code, _ = resilience.Fallback[int]{Value: 299}.Do(t.Context(), nil, get)
			} else {
				code, _ = get(t.Context())
			}
			if code != tt.wantStatus {
				t.Errorf("status %d, want %d", code, tt.wantStatus)
			}
			point := "http.client " + srv.Listener.Addr().String()
			if got := outcomesOf(e, point); got != tt.want {
				t.Errorf("%s: fired, absorbed, escaped = %+v, want %+v", point, got, tt.want)
			}
		})
	}
}
