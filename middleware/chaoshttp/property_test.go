package chaoshttp

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// TestPropertyServerNamesBounded checks that whatever method and path a
// request has, its point is a registered pattern or a method word's
// unmatched point, and never anything made from the path.
func TestPropertyServerNamesBounded(t *testing.T) {
	t.Parallel()
	e := chaostest.New(t)
	chaostest.Enable(t, e, "*=status(299)")
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	mux := http.NewServeMux()
	allowed := map[string]bool{"GET /users/{id}": true, "POST /users": true}
	mux.Handle("GET /users/{id}", ok)
	mux.Handle("POST /users", ok)
	mux.Handle("/static/", ok)
	for _, m := range routepoint.Methods {
		allowed[m+" /static/"] = true
		allowed[m+" (unmatched)"] = true
	}
	h := Middleware(e)(mux)
	rapid.Check(t, func(t *rapid.T) {
		method := rapid.OneOf(
			rapid.SampledFrom(routepoint.Methods[:routepoint.NumMethods-1]),
			rapid.StringMatching(`[A-Z][A-Z-]{0,12}`),
		).Draw(t, "method")
		segments := rapid.SliceOfN(rapid.StringMatching(`[a-z0-9.%{}~_-]{0,8}`), 0, 6).Draw(t, "segments")
		prefix := rapid.SampledFrom([]string{"", "/users", "/static"}).Draw(t, "prefix")
		req := &http.Request{
			Method: method,
			URL:    &url.URL{Path: prefix + "/" + strings.Join(segments, "/")},
			Host:   "example.com",
			Header: http.Header{},
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		_, quoted, _ := strings.Cut(rec.Header().Get(HeaderInjected), "; point=")
		point, err := strconv.Unquote(quoted)
		if err != nil || !allowed[point] {
			t.Fatalf("%s %s: point %q (%v)", method, req.URL.Path, point, err)
		}
	})
	if n := len(e.Stats().Points); n > len(allowed) {
		t.Errorf("%d points, more than the %d allowed names", n, len(allowed))
	}
}

// TestPropertySameSeedSameFaults checks that two engines with the same
// seed and plan inject the same faults into the same requests, at a
// server and at a client.
func TestPropertySameSeedSameFaults(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		percent := rapid.IntRange(1, 99).Draw(t, "percent")
		n := rapid.IntRange(1, 30).Draw(t, "requests")
		plan := chaos.MustParsePlan(`"GET /users/{id}"=` + strconv.Itoa(percent) + `%status(503);"http.client example.com"=` + strconv.Itoa(percent) + `%error`)
		run := func() []int {
			e := chaos.New(chaos.WithSeed(seed))
			if err := e.Apply(plan); err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /users/{id}", Middleware(e)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
			rt := Transport(roundTripFunc(func(*http.Request) (*http.Response, error) { return cannedResponse(), nil }), e)
			var out []int
			for i := range n {
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, httptest.NewRequest("GET", "/users/"+strconv.Itoa(i), nil))
				out = append(out, rec.Code)
				if _, err := rt.RoundTrip(httptest.NewRequest("GET", "http://example.com/", nil)); err != nil {
					out = append(out, -1)
				}
			}
			return out
		}
		a, b := run(), run()
		if !slicesEqual(a, b) {
			t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
		}
	})
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPropertyCorruptReplays checks that a corrupted body is the same
// whatever sizes the handler writes it in or the client reads it in: the
// first half of a declared length, or every byte inverted.
func TestPropertyCorruptReplays(t *testing.T) {
	t.Parallel()
	injected := faults.NewInjectedError("p", faults.Corrupt())
	rapid.Check(t, func(t *rapid.T) {
		body := rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "body")
		declared := rapid.Bool().Draw(t, "declared")
		chunk := rapid.IntRange(1, 64).Draw(t, "chunk")
		want := routepoint.Invert(nil, body)
		if declared {
			want = body[:len(body)/2]
		}

		// Server: the handler writes body in chunks.
		rec := httptest.NewRecorder()
		w := &corruptWriter{ResponseWriter: rec, limit: -1}
		if declared {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		for rest := body; len(rest) > 0; {
			k := min(chunk, len(rest))
			if n, err := w.Write(rest[:k]); n != k || err != nil {
				t.Fatalf("Write = %d, %v; want %d, nil", n, err, k)
			}
			rest = rest[k:]
		}
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatalf("server wrote %q, want %q", rec.Body.Bytes(), want)
		}

		// Client: the caller reads body in chunks.
		left := int64(-1)
		if declared && len(body) > 0 {
			left = int64(len(body) / 2)
		}
		r := &corruptBody{body: io.NopCloser(bytes.NewReader(body)), left: left, err: injected}
		var got []byte
		var err error
		buf := make([]byte, chunk)
		for err == nil {
			var n int
			n, err = r.Read(buf)
			got = append(got, buf[:n]...)
		}
		if declared && len(body) > 0 {
			if !errors.Is(err, faults.ErrInjected) {
				t.Fatalf("read error %v, want the injected one", err)
			}
		} else if err != io.EOF {
			t.Fatalf("read error %v, want io.EOF", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("client read %q, want %q", got, want)
		}
	})
}

// FuzzServerName checks the names of server points: a pattern with a
// method keeps it, any other key is prefixed with a method word, and
// nothing panics.
func FuzzServerName(f *testing.F) {
	for _, s := range []string{"GET /users/{id}", "/upload", "POST\t /x", "", " ", "GET", "example.com/", "\t/"} {
		f.Add("GET", s)
	}
	f.Add("BREW", "/coffee")
	f.Fuzz(func(t *testing.T, method, key string) {
		m := routepoint.MethodIndex(method)
		if m < 0 || m >= routepoint.NumMethods {
			t.Fatalf("routepoint.MethodIndex(%q) = %d", method, m)
		}
		name, fixed := serverName(key, m)
		i := strings.IndexAny(key, " \t")
		switch {
		case key == "":
			if fixed || name != routepoint.Methods[m]+" (unmatched)" {
				t.Fatalf("serverName(%q) = %q, %v", key, name, fixed)
			}
		case i >= 0:
			want := key[:i] + " " + strings.TrimLeft(key[i:], " \t")
			if !fixed || name != want {
				t.Fatalf("serverName(%q) = %q, %v; want %q, true", key, name, fixed, want)
			}
		default:
			if fixed || name != routepoint.Methods[m]+" "+key {
				t.Fatalf("serverName(%q) = %q, %v", key, name, fixed)
			}
		}
	})
}

// FuzzInjectedValue checks that the HeaderInjected value is a valid header
// value whatever the point's name, and that it reads back.
func FuzzInjectedValue(f *testing.F) {
	for _, s := range []string{"GET /users/{id}", `a "quoted" \ name`, "ctl\r\n\x00\x7f", "", "é"} {
		f.Add(uint8(faults.KindStatus), s)
	}
	f.Fuzz(func(t *testing.T, kind uint8, point string) {
		k := faults.Kind(kind % uint8(faults.NumKinds))
		v := routepoint.InjectedValue(k, point)
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
				t.Fatalf("value %q holds control byte %#x", v, c)
			}
		}
		prefix := k.String() + `; point="`
		if !strings.HasPrefix(v, prefix) || !strings.HasSuffix(v, `"`) {
			t.Fatalf("value %q", v)
		}
		// Unquote the quoted-string and compare with the point, control
		// bytes replaced.
		var got strings.Builder
		q := v[len(prefix) : len(v)-1]
		for i := 0; i < len(q); i++ {
			if q[i] == '\\' {
				i++
			}
			got.WriteByte(q[i])
		}
		want := strings.Map(func(r rune) rune {
			if r < ' ' && r != '\t' || r == 0x7f {
				return '?'
			}
			return r
		}, point)
		if got.String() != want && strings.ToValidUTF8(point, "") == point {
			t.Fatalf("value %q reads back as %q, want %q", v, got.String(), want)
		}
	})
}
