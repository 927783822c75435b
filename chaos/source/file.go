package source

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// File returns a source named "file:PATH" that reads a plan, in JSON or
// text form, from the file at path, and reads it again whenever it
// changes. It checks the file's modification time, size and identity every
// interval ([WithInterval], default [DefaultFileInterval]) and reads it only
// when they moved.
//
// A write is safe to watch when the writer renames a complete file into
// place (write "plan.json.tmp", then rename it to "plan.json"): the source
// then sees either the old file or the new one. It also guards against
// writes in place: a file whose size or time changes while it is read is
// ignored and read again at the next check. A plan that does not decode
// is reported as an Update with Err, and the last good plan stays.
//
// A missing or unreadable file is an error too, reported once per change
// of state: the last good plan stays, and the plan is read again when the
// file comes back. Delete the rules from the file, or apply the empty plan,
// to switch faults off. Files larger than the size limit ([WithMaxBytes],
// default [DefaultMaxBytes]) are refused with [ErrTooLarge].
//
// The source is safe for concurrent use; each Watch keeps its own state.
func File(path string, opts ...FileOption) Source {
	s := &fileSource{path: path, pollConfig: pollConfig{interval: DefaultFileInterval, maxBytes: DefaultMaxBytes}}
	for _, o := range opts {
		o.applyFile(s)
	}
	return s
}

type fileSource struct {
	pollConfig
	path string
}

func (s *fileSource) Name() string { return "file:" + s.path }

// fileState is what the last check saw, so the next one knows whether
// anything moved.
type fileState struct {
	info   fs.FileInfo // nil when the last check failed
	errMsg string      // the last check's error text, when it failed
}

func (s *fileSource) Watch(ctx context.Context, yield func(Update)) error {
	var st fileState
	s.check(&st, yield)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			s.check(&st, yield)
		}
	}
}

// check looks at the file once, and yields when it changed.
func (s *fileSource) check(st *fileState, yield func(Update)) {
	fail := func(err error) {
		if msg := err.Error(); st.info != nil || msg != st.errMsg {
			st.info, st.errMsg = nil, msg
			yield(Update{Err: err})
		}
	}
	before, err := os.Stat(s.path)
	switch {
	case err != nil:
		fail(fmt.Errorf("source: reading plan file: %w", err))
		return
	case st.info != nil && sameFile(st.info, before):
		return
	case before.IsDir():
		fail(fmt.Errorf("source: reading plan file %s: is a directory", s.path))
		return
	case before.Size() > s.maxBytes:
		fail(fmt.Errorf("source: reading plan file %s: %w (%d bytes, limit %d)", s.path, ErrTooLarge, before.Size(), s.maxBytes))
		return
	}
	doc, err := readPlanFile(s.path, s.maxBytes)
	if err != nil {
		fail(fmt.Errorf("source: reading plan file: %w", err))
		return
	}
	after, err := os.Stat(s.path)
	if err != nil || !sameFile(before, after) || int64(len(doc)) != after.Size() {
		return // written while read: try again at the next check
	}
	st.info, st.errMsg = after, ""
	yield(decoded(doc, "plan file "+s.path, ""))
}

// readPlanFile is readFile; tests replace it to write while it reads.
var readPlanFile = readFile

// readFile reads at most limit+1 bytes of the file, so that a file that
// grew past the limit since it was checked still reads as too large.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// sameFile reports whether a and b describe the same file, unchanged.
func sameFile(a, b fs.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
