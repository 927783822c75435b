package chaoshttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaoshttp"
)

// TestNewFaultForms: a squeeze reaches the handler as a shorter deadline,
// a custom fault's error answers 500, and a paused request goes on once
// the point is released.
func TestNewFaultForms(t *testing.T) {
	if err := faults.Register("chaoshttp-test-fail", func(context.Context, string) error { return errors.New("custom says no") }); err != nil && !errors.Is(err, faults.ErrRegistered) {
		t.Fatal(err)
	}
	var deadline time.Duration
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, ok := r.Context().Deadline(); ok {
			deadline = time.Until(d)
		}
		w.WriteHeader(http.StatusOK)
	})
	tests := []struct {
		plan     string
		wantCode int
		check    func(t *testing.T)
	}{
		{`"GET /x"=squeeze(1s)`, http.StatusOK, func(t *testing.T) {
			if deadline <= 0 || deadline > time.Second {
				t.Errorf("the handler's deadline is %v away, want at most 1s", deadline)
			}
		}},
		{`"GET /x"=custom(chaoshttp-test-fail)`, http.StatusInternalServerError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.plan, func(t *testing.T) {
			deadline = 0
			e := chaos.New(chaos.WithSeed(1))
			if err := e.Apply(chaos.MustParsePlan(tt.plan)); err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /x", app)
			rec := httptest.NewRecorder()
			chaoshttp.Middleware(e)(mux).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			if rec.Code != tt.wantCode || rec.Header().Get(chaoshttp.HeaderInjected) == "" {
				t.Errorf("answered %d (injected header %q), want %d", rec.Code, rec.Header().Get(chaoshttp.HeaderInjected), tt.wantCode)
			}
			if tt.check != nil {
				tt.check(t)
			}
		})
	}
	t.Run("pause", func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		if err := e.Apply(chaos.MustParsePlan(`"GET /x"=pause`)); err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /x", app)
		done := make(chan int)
		go func() {
			rec := httptest.NewRecorder()
			chaoshttp.Middleware(e)(mux).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			done <- rec.Code
		}()
		p := e.Point("GET /x")
		for p.Paused() == 0 {
			time.Sleep(time.Millisecond)
		}
		p.Release()
		if code := <-done; code != http.StatusOK {
			t.Errorf("a released request answered %d, want 200", code)
		}
	})
}
