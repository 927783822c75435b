package chaoshttp

import (
	"io"
	"net/http"
	"strconv"

	"github.com/faultline-go/faultline/middleware/internal/routepoint"
)

// A corrupt fault damages a body in one of two ways, both of which replay
// exactly, whatever the sizes of the reads and writes:
//
//   - a body with a declared length (Content-Length) is cut after the first
//     half of that length, as a connection that drops mid-body cuts it;
//   - a body without one (streamed, chunked) keeps its length but has every
//     byte inverted (XOR 0xFF), so that nothing decodes it.

// corruptChunk is the most bytes a corruptWriter inverts at a time.
const corruptChunk = 32 << 10

// corruptWriter damages the body a handler writes. Writes it drops are
// reported as complete, as a kernel buffer would report them.
type corruptWriter struct {
	http.ResponseWriter
	limit   int64 // bytes kept of a declared length; -1 to invert every byte
	written int64
	started bool   // the final header was written
	scratch []byte // inverted bytes, at most corruptChunk, reused for every write
}

// start reads the declared length, once, when the final header is sent.
func (w *corruptWriter) start() {
	if w.started {
		return
	}
	w.started = true
	if n, err := strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		w.limit = n / 2
	}
}

// WriteHeader implements http.ResponseWriter.
func (w *corruptWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.start()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *corruptWriter) Write(p []byte) (int, error) {
	w.start()
	if w.limit < 0 {
		return w.writeInverted(p)
	}
	if keep := min(w.limit-w.written, int64(len(p))); keep > 0 {
		n, err := w.ResponseWriter.Write(p[:keep])
		w.written += int64(n)
		if err != nil {
			return n, err
		}
	}
	return len(p), nil
}

// writeInverted writes p with every byte inverted, through scratch, in
// chunks of at most corruptChunk bytes, so that a large write costs one
// small buffer per response rather than a copy of itself.
func (w *corruptWriter) writeInverted(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), corruptChunk)]
		if cap(w.scratch) < len(chunk) {
			w.scratch = make([]byte, 0, min(max(len(chunk), 2*cap(w.scratch)), corruptChunk))
		}
		w.scratch = routepoint.Invert(w.scratch[:0], chunk)
		n, err := w.ResponseWriter.Write(w.scratch)
		written += n
		if err != nil {
			return written, err
		}
		if n < len(chunk) {
			return written, io.ErrShortWrite
		}
		p = p[len(chunk):]
	}
	return written, nil
}

// FlushError flushes the underlying writer, for http.ResponseController.
func (w *corruptWriter) FlushError() error {
	w.start()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush implements http.Flusher.
func (w *corruptWriter) Flush() { _ = w.FlushError() }

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *corruptWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// corruptBody damages a response body. With a declared length it yields
// the first half and then fails with err, which matches
// io.ErrUnexpectedEOF as a connection cut mid-body does; without one it
// yields every byte inverted.
type corruptBody struct {
	body io.ReadCloser
	left int64 // bytes still to yield; -1 to invert every byte
	err  error
}

// Read implements io.Reader.
func (b *corruptBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		n, err := b.body.Read(p)
		routepoint.Invert(p[:0], p[:n])
		return n, err
	}
	if b.left == 0 {
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	if b.left == 0 && err == nil {
		err = b.err
	}
	return n, err
}

// Close implements io.Closer.
func (b *corruptBody) Close() error { return b.body.Close() }
