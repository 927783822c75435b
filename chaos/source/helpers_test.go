package source_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// listSource yields its updates in order, then returns: a one-shot source.
type listSource struct {
	name    string
	updates []source.Update
}

func (s listSource) Name() string { return s.name }

func (s listSource) Watch(ctx context.Context, yield func(source.Update)) error {
	for _, u := range s.updates {
		if ctx.Err() != nil {
			return nil
		}
		yield(u)
	}
	return nil
}

// run starts r.Run in a goroutine and returns a function that stops it
// and returns Run's error.
func run(t *testing.T, r *source.Runner) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var (
		once sync.Once
		err  error
	)
	return func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
}

// tick moves a synctest bubble's fake clock on by d, at once, and waits
// for every goroutine in it to settle.
func tick(d time.Duration) {
	<-time.After(d)
	synctest.Wait()
}

// mustPlan parses a plan written in the test.
func mustPlan(t *testing.T, s string) chaos.Plan {
	t.Helper()
	p, err := chaos.ParsePlan(s)
	if err != nil {
		t.Fatalf("plan %q: %v", s, err)
	}
	return p
}

// planServer is an HTTP handler serving a plan document that a test
// changes while it runs.
type planServer struct {
	mu       sync.Mutex
	status   int           // 0: 200
	body     string        // the document
	etag     string        // "" sends none
	length   bool          // send Content-Length
	hang     bool          // block until the request's context is done
	delay    time.Duration // wait so long before answering
	requests []*http.Request
	times    []time.Time // when each request came
}

func (s *planServer) set(f func(s *planServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *planServer) reqs() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.requests...)
}

func (s *planServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *planServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.times = append(s.times, time.Now())
	status, body, etag, hang, length, delay := s.status, s.body, s.etag, s.hang, s.length, s.delay
	s.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return
	}
	if etag != "" {
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if length {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}

// memTransport serves requests with a handler in memory, as a real
// transport would: the request's context ending fails the round trip.
// It suits synctest bubbles, where a real server does not.
type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

var _ http.RoundTripper = memTransport{}
