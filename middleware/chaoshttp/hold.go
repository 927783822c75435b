package chaoshttp

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// holdLimit is the most bytes of a request body the middleware reads ahead
// while it waits out an injected latency or hang.
const holdLimit = 64 << 10

// heldBody reads ahead a request's body while the middleware waits, and
// then stands in for it, so that the handler still reads every byte.
//
// net/http notices that a client went away, and cancels the request's
// context, only by reading from the connection: it does so by itself once
// the handler has read the body to its end, never before. A wait that
// leaves the body unread would so outlive its client. Reading the body
// ahead, in the background, lets net/http see the connection close (a read
// fails, or the background read it starts at the end of the body does)
// and end the wait through the context. A body longer than holdLimit is
// read only up to it; the wait then ends at its bound or the kill switch
// if the client leaves.
type heldBody struct {
	body io.ReadCloser // the request's own body
	done chan struct{} // closed when reading ahead stops
	stop atomic.Bool   // stop reading ahead after the read under way

	// Written by the goroutine that reads ahead, read after done.
	buf []byte // the bytes read ahead
	err error  // what ended reading ahead (io.EOF at the end); nil for the limit or stop

	off int // bytes of buf the handler has read
}

// holdBody starts reading ahead the body of r, if it has one, and returns
// the heldBody, or nil when there is nothing to read.
func holdBody(r *http.Request) *heldBody {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b := &heldBody{body: r.Body, done: make(chan struct{})}
	go b.readAhead()
	return b
}

// readAhead reads the body into buf until its end, an error, holdLimit or
// stop.
func (b *heldBody) readAhead() {
	defer close(b.done)
	for !b.stop.Load() && len(b.buf) < holdLimit {
		if len(b.buf) == cap(b.buf) {
			b.buf = append(make([]byte, 0, min(2*cap(b.buf)+512, holdLimit)), b.buf...)
		}
		n, err := b.body.Read(b.buf[len(b.buf):cap(b.buf)])
		b.buf = b.buf[:len(b.buf)+n]
		if err != nil {
			b.err = err
			return
		}
	}
}

// end stops reading ahead and returns once it has stopped, so that
// nothing reads the body after the middleware returns. A read still under
// way is cut short with a read deadline on w's connection, when w supports
// one: the connection then cannot serve another request, which matters
// little next to the fault that was injected.
func (b *heldBody) end(w http.ResponseWriter) {
	b.stop.Store(true)
	select {
	case <-b.done:
		return
	default:
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now()) // unsupported: wait for the read to return by itself
	<-b.done
}

// Read implements io.Reader: the bytes read ahead, then the rest of the
// body. It waits for a read ahead under way to return.
func (b *heldBody) Read(p []byte) (int, error) {
	<-b.done
	if b.off < len(b.buf) {
		n := copy(p, b.buf[b.off:])
		b.off += n
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	return b.body.Read(p)
}

// Close implements io.Closer.
func (b *heldBody) Close() error {
	b.stop.Store(true)
	<-b.done
	return b.body.Close()
}
