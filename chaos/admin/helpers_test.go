package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
)

const testToken = "s3cret-token-for-tests-0123456789"

// testSeed is the seed of every engine of newEngine: fixed, so that each
// test sees the same faults every run.
const testSeed = 1

// newEngine returns an engine with testSeed; opts may override it. (The
// tests of this package cannot use chaostest.New: chaostest imports
// gameday, which imports this package for its Client.)
func newEngine(_ *testing.T, opts ...chaos.Option) *chaos.Engine {
	return chaos.New(append([]chaos.Option{chaos.WithSeed(testSeed)}, opts...)...)
}

// newTest returns a seeded engine and an admin handler for it with the
// test token, closed at cleanup.
func newTest(t *testing.T, opts ...Option) (*chaos.Engine, *Handler) {
	t.Helper()
	e := newEngine(t, chaos.WithInstance("test-1"))
	h := New(e, append([]Option{WithToken(testToken)}, opts...)...)
	t.Cleanup(func() { h.Close() })
	return e, h
}

// req describes one request to the handler.
type req struct {
	method, path string
	body         string
	header       map[string]string
	cookie       *http.Cookie
	token        string // bearer token; "-" sends none
	remote       string // the peer's address; httptest's 192.0.2.1:1234 when empty
}

// do serves q with h and returns the recorded answer.
func do(t *testing.T, h http.Handler, q req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	r := httptest.NewRequestWithContext(context.Background(), q.method, "http://svc.example/"+q.path, body)
	switch q.token {
	case "":
		r.Header.Set("Authorization", "Bearer "+testToken)
	case "-":
	default:
		r.Header.Set("Authorization", "Bearer "+q.token)
	}
	if q.remote != "" {
		r.RemoteAddr = q.remote
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	if q.cookie != nil {
		r.AddCookie(q.cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// decode decodes a JSON answer into a value of type T.
func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON; body %s", ct, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decoding %s: %v", w.Body, err)
	}
	return v
}

// fire evaluates point name n times.
func fire(e *chaos.Engine, name string, n int) {
	p := e.Point(name)
	for range n {
		_ = p.Inject(context.Background())
	}
}
