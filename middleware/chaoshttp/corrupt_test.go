package chaoshttp

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// invertChecker is a ResponseWriter that checks that every byte written is
// the inverse of want's next byte, and keeps nothing.
type invertChecker struct {
	discard
	want   []byte
	off    int
	writes int
	err    error
	inv    []byte // scratch
}

func (c *invertChecker) Write(p []byte) (int, error) {
	c.writes++
	if len(c.inv) < len(p) {
		c.inv = make([]byte, len(p))
	}
	if c.off+len(p) > len(c.want) || !bytes.Equal(p, routepoint.Invert(c.inv[:0], c.want[c.off:c.off+len(p)])) {
		c.err = fmt.Errorf("bytes %d to %d are wrong", c.off, c.off+len(p))
		return 0, c.err
	}
	c.off += len(p)
	return len(p), nil
}

// TestCorruptWriterInverts writes bodies of many sizes, in one write, and
// checks that every byte arrives inverted.
func TestCorruptWriterInverts(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, 7, corruptChunk - 1, corruptChunk, corruptChunk + 1, 3*corruptChunk + 5} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			data := bytes.Repeat([]byte("faultline"), size/9+1)[:size]
			c := &invertChecker{want: data}
			w := &corruptWriter{ResponseWriter: c, limit: -1}
			n, err := w.Write(data[:size/2])
			if err == nil {
				var m int
				m, err = w.Write(data[size/2:])
				n += m
			}
			if n != size || err != nil || c.err != nil || c.off != size {
				t.Errorf("wrote %d of %d bytes (%v, %v), %d arrived", n, size, err, c.err, c.off)
			}
		})
	}
}

// shortWriter accepts the first n bytes written to it, then fails.
type shortWriter struct {
	discard
	n int
}

var errShort = errors.New("short")

func (s *shortWriter) Write(p []byte) (int, error) {
	if len(p) > s.n {
		n := s.n
		s.n = 0
		return n, errShort
	}
	s.n -= len(p)
	return len(p), nil
}

func TestCorruptWriterShortWrite(t *testing.T) {
	t.Parallel()
	for _, accept := range []int{0, 10, corruptChunk, corruptChunk + 10} {
		w := &corruptWriter{ResponseWriter: &shortWriter{n: accept}, limit: -1}
		n, err := w.Write(make([]byte, 3*corruptChunk))
		if n != accept || !errors.Is(err, errShort) {
			t.Errorf("accepting %d: wrote %d (%v)", accept, n, err)
		}
	}
}

// TestCorruptWriterAllocations writes a 64 MiB body in one write through
// the corrupt fault's writer, and checks that it allocates a small buffer,
// not a copy of the body.
func TestCorruptWriterAllocations(t *testing.T) {
	// Not parallel: it measures allocations.
	const size = 64 << 20
	data := bytes.Repeat([]byte{0x5a}, size)
	c := &invertChecker{want: data}
	var w http.ResponseWriter = &corruptWriter{ResponseWriter: c, limit: -1}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := w.Write(data)
	runtime.ReadMemStats(&after)
	if n != size || err != nil || c.err != nil {
		t.Fatalf("wrote %d of %d bytes: %v, %v", n, size, err, c.err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("one %d MiB write allocated %d bytes in %d writes", size>>20, allocated, c.writes)
	if allocated > 1<<20 {
		t.Errorf("one %d MiB write allocated %.1f MiB, want under 1 MiB", size>>20, float64(allocated)/(1<<20))
	}
}
