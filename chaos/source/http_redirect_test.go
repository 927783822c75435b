package source_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// firstUpdate runs src until the runner has handled its first update, and
// returns the status then and the engine.
func firstUpdate(t *testing.T, src source.Source) (source.RunnerStatus, *chaos.Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	e := chaos.New()
	var st source.RunnerStatus
	r := source.NewRunner(e, src, source.WithOnUpdate(func(s source.RunnerStatus) {
		st = s
		cancel()
	}))
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return st, e
}

// redirector answers /plan with a plan, and /to?url=U with a redirect to U.
func redirector() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plan", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("db.query=error(a)"))
	})
	mux.HandleFunc("GET /to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("url"), http.StatusFound)
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	return mux
}

func TestHTTPRedirects(t *testing.T) {
	plain := httptest.NewServer(redirector())
	defer plain.Close()
	other := httptest.NewServer(redirector()) // another port: another origin
	defer other.Close()
	secure := httptest.NewTLSServer(redirector())
	defer secure.Close()
	secureOther := httptest.NewTLSServer(redirector())
	defer secureOther.Close()
	to := func(from, target string) string { return from + "/to?url=" + target }

	tests := []struct {
		name      string
		url       string
		redirects source.Redirects // -1: the default
		ok        bool
	}{
		{name: "same origin", url: to(plain.URL, plain.URL+"/plan"), redirects: -1, ok: true},
		{name: "same origin, relative", url: to(plain.URL, "/plan"), redirects: -1, ok: true},
		{name: "another origin", url: to(plain.URL, other.URL+"/plan"), redirects: -1},
		{name: "another origin, same origin asked", url: to(plain.URL, other.URL+"/plan"), redirects: source.RedirectSameOrigin},
		{name: "another origin allowed", url: to(plain.URL, other.URL+"/plan"), redirects: source.RedirectAnyOrigin, ok: true},
		{name: "back to the origin through another", url: to(plain.URL, to(other.URL, plain.URL+"/plan")), redirects: -1},
		{name: "https to http", url: to(secure.URL, other.URL+"/plan"), redirects: source.RedirectAnyOrigin},
		{name: "https to another https", url: to(secure.URL, secureOther.URL+"/plan"), redirects: -1},
		{name: "https to another https allowed", url: to(secure.URL, secureOther.URL+"/plan"), redirects: source.RedirectAnyOrigin, ok: true},
		{name: "https to http via https", url: to(secure.URL, to(secureOther.URL, plain.URL+"/plan")), redirects: source.RedirectAnyOrigin},
		{name: "none followed", url: to(plain.URL, "/plan"), redirects: source.RedirectNone},
		{name: "endless", url: plain.URL + "/loop", redirects: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []source.HTTPOption{source.WithClient(secure.Client()), source.WithInterval(-1)}
			if tt.redirects >= 0 {
				opts = append(opts, source.WithRedirects(tt.redirects))
			}
			s, e := firstUpdate(t, source.HTTP(tt.url, opts...))
			if tt.ok {
				if s.Err != nil || e.Plan().String() != "db.query=error(a)" {
					t.Errorf("status %+v, plan %q: want the plan", s, e.Plan())
				}
				return
			}
			if !errors.Is(s.Err, source.ErrRedirect) {
				t.Errorf("error = %v, want one matching ErrRedirect", s.Err)
			}
			if e.Plan().String() != "" {
				t.Errorf("plan %q applied through a refused redirect", e.Plan())
			}
		})
	}
}

// The client's own redirect rule runs after the source's, and the caller's
// client is left as it was.
func TestHTTPRedirectsClient(t *testing.T) {
	srv := httptest.NewServer(redirector())
	defer srv.Close()
	var asked int
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		asked++
		return errors.New("the client says no")
	}}
	s, _ := firstUpdate(t, source.HTTP(srv.URL+"/to?url=/plan", source.WithClient(c), source.WithInterval(-1)))
	if s.Err == nil || !strings.Contains(s.Err.Error(), "the client says no") || asked != 1 {
		t.Errorf("error = %v after %d calls, want the client's rule asked once", s.Err, asked)
	}
	if err := c.CheckRedirect(nil, nil); err == nil || err.Error() != "the client says no" {
		t.Errorf("the caller's client was changed: its rule says %v", err)
	}
	asked = 0
	s, _ = firstUpdate(t, source.HTTP(srv.URL+"/to?url=http://elsewhere.invalid/plan", source.WithClient(c), source.WithInterval(-1)))
	if !errors.Is(s.Err, source.ErrRedirect) || asked != 0 {
		t.Errorf("error = %v after %d calls, want the source's rule first", s.Err, asked)
	}
}
