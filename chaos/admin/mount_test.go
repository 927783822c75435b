package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// TestMountedBesideMiddleware mounts the handler as the package
// documentation shows, on one ServeMux beside an application wrapped in
// chaoshttp.Middleware, under a plan that fails every request the
// middleware sees: the application fails, the admin handler does not, and
// its kill switch ends the faults.
func TestMountedBesideMiddleware(t *testing.T) {
	e, h := newTest(t)
	if err := e.Apply(chaos.MustParsePlan(`*=status(503);"POST *"=status(503)`)); err != nil {
		t.Fatal(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") })
	mux := http.NewServeMux()
	mux.Handle("/", chaoshttp.Middleware(e)(app))
	mux.Handle("/debug/faultline/", http.StripPrefix("/debug/faultline", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	steps := []struct {
		method, path string
		admin        bool // send the admin token
		want         int
	}{
		{"GET", "/orders", false, http.StatusServiceUnavailable},
		{"POST", "/orders", false, http.StatusServiceUnavailable},
		{"GET", "/debug/faultline/api/status", true, http.StatusOK},
		{"GET", "/debug/faultline/", true, http.StatusOK},
		{"POST", "/debug/faultline/api/kill", true, http.StatusOK},
		{"GET", "/orders", false, http.StatusOK},
		{"POST", "/orders", false, http.StatusOK},
		{"POST", "/debug/faultline/api/rearm", true, http.StatusOK},
	}
	for _, st := range steps {
		r, err := http.NewRequestWithContext(t.Context(), st.method, srv.URL+st.path, strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		if st.admin {
			r.Header.Set("Authorization", "Bearer "+testToken)
		}
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != st.want {
			t.Fatalf("%s %s: %d, want %d (injected: %q)", st.method, st.path, resp.StatusCode, st.want, resp.Header.Get(chaoshttp.HeaderInjected))
		}
	}
	if c := h.Counters(); c.Kills != 1 || c.Rearms != 1 || e.Disabled() {
		t.Errorf("counters %+v, disabled %v; want 1 kill, 1 re-arm, armed", c, e.Disabled())
	}
}
