package chaosfx_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// memSource is a long-running source fed by the test: each Update sent on
// push is yielded, until the watch's context is done. stopped is closed
// when Watch returns.
type memSource struct {
	name    string
	push    chan source.Update
	stopped chan struct{}
}

func newMemSource(name string) *memSource {
	return &memSource{name: name, push: make(chan source.Update), stopped: make(chan struct{})}
}

func (m *memSource) Name() string { return m.name }

func (m *memSource) Watch(ctx context.Context, yield func(source.Update)) error {
	defer close(m.stopped)
	for {
		select {
		case <-ctx.Done():
			return nil
		case u := <-m.push:
			yield(u)
		}
	}
}

// failingSource gives up at once with err, as a source with a malformed
// address does.
type failingSource struct{ err error }

func (failingSource) Name() string { return "failing" }

func (f failingSource) Watch(context.Context, func(source.Update)) error { return f.err }

// updates returns a runner option that sends each status a runner reports
// to the returned channel, and a function that waits for the first status
// that passes ok.
func updates(t *testing.T) (source.RunnerOption, func(ok func(source.RunnerStatus) bool) source.RunnerStatus) {
	t.Helper()
	ch := make(chan source.RunnerStatus, 64)
	opt := source.WithOnUpdate(func(s source.RunnerStatus) { ch <- s })
	wait := func(ok func(source.RunnerStatus) bool) source.RunnerStatus {
		t.Helper()
		timeout := time.NewTimer(10 * time.Second) // a guard against a hang, never reached when the test passes
		defer timeout.Stop()
		for {
			select {
			case s := <-ch:
				if ok(s) {
					return s
				}
			case <-timeout.C:
				t.Fatal("no runner update came")
				return source.RunnerStatus{}
			}
		}
	}
	return opt, wait
}

// plan parses a plan written in the test.
func plan(t *testing.T, text string) chaos.Plan {
	t.Helper()
	p, err := chaos.ParsePlan(text)
	if err != nil {
		t.Fatalf("plan %q: %v", text, err)
	}
	return p
}

// logBuffer is a bytes.Buffer safe for the concurrent writes of a logger
// shared by goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newLogger returns a logger that writes text records to a new buffer.
func newLogger() (*slog.Logger, *logBuffer) {
	b := new(logBuffer)
	return slog.New(slog.NewTextHandler(b, nil)), b
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
