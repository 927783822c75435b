package source

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/faultline-go/faultline/internal/wait"
)

// File returns a source named "file:PATH" that reads a plan, in JSON or
// text form, from the regular file at path, and reads it again whenever it
// changes. It checks the file's modification time, size and identity every
// interval ([WithInterval], default [DefaultFileInterval]), and reads it
// once they have held still for a whole interval: a plan applies one to
// two intervals after it is written.
//
// Write the file so that it is whole whenever the source may see it:
//
//  1. write the plan to a temporary file in the same directory
//     ("plan.json.tmp");
//  2. flush it to disk (fsync; [os.File.Sync] in Go);
//  3. rename it over the plan file (rename(2); [os.Rename] in Go).
//
// The source then sees either the old file or the new one. It also guards
// against writes in place: a file still moving at a check, or whose size
// or time changes while it is read, is read again once it holds still, so
// a file written in two halves is never taken for a shorter plan. (A writer
// that pauses for longer than the interval in the middle of a write can
// still be read half done: rename.) A plan that does not decode is reported
// as an Update with Err, and the last good plan stays.
//
// A missing or unreadable file is an error too, reported once per change
// of state: the last good plan stays, and the plan is read again when the
// file comes back. So are a directory, a FIFO, a device and anything else
// that is not a regular file (a symbolic link to a regular file is fine):
// the source looks at the mode before it opens the file, so that nothing
// blocks it. Files larger than the size limit ([WithMaxBytes], default and
// at most [DefaultMaxBytes]) are refused with [ErrTooLarge]. Delete the
// rules from the file, or apply the empty plan, to switch faults off.
//
// With polling off (a negative [WithInterval]) the source reads the file
// once, at once, yields what it found, and returns.
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
	seen   fs.FileInfo // what the last check saw; nil after a failure
	read   bool        // seen has been read and yielded
	errMsg string      // the last check's error text, when it failed
}

func (s *fileSource) Watch(ctx context.Context, yield func(Update)) error {
	var st fileState
	if s.interval < 0 {
		s.readOnce(yield)
		return nil
	}
	s.check(&st, yield)
	wait.Every(ctx, s.interval, func() { s.check(&st, yield) })
	return nil
}

// check looks at the file once, and yields when it changed and has held
// still since the last check.
func (s *fileSource) check(st *fileState, yield func(Update)) {
	fail := func(err error) {
		st.seen, st.read = nil, false
		if msg := err.Error(); msg != st.errMsg {
			st.errMsg = msg
			yield(Update{Err: err})
		}
	}
	before, err := s.stat()
	if err != nil {
		fail(err)
		return
	}
	switch {
	case st.seen == nil || !sameFile(st.seen, before):
		// New or moving: read it once it holds still.
		st.seen, st.read = before, false
		return
	case st.read:
		return
	}
	doc, after, err := s.read()
	switch {
	case err != nil:
		fail(err)
	case !sameFile(before, after):
		st.seen = after // written while read: read it once it holds still
	default:
		st.read, st.errMsg = true, ""
		yield(decoded(doc, "plan file "+s.path, ""))
	}
}

// readOnce reads the file once, without waiting for it to hold still.
func (s *fileSource) readOnce(yield func(Update)) {
	before, err := s.stat()
	if err != nil {
		yield(Update{Err: err})
		return
	}
	doc, after, err := s.read()
	switch {
	case err != nil:
		yield(Update{Err: err})
	case !sameFile(before, after):
		yield(Update{Err: fmt.Errorf("source: reading plan file %s: it changed while read", s.path)})
	default:
		yield(decoded(doc, "plan file "+s.path, ""))
	}
}

// stat describes the file, or says why it is no plan file.
func (s *fileSource) stat() (fs.FileInfo, error) {
	fi, err := os.Stat(s.path)
	if err != nil {
		return nil, fmt.Errorf("source: reading plan file: %w", err)
	}
	return fi, s.usable(fi)
}

// usable reports why fi is no plan file, or nil.
func (s *fileSource) usable(fi fs.FileInfo) error {
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("source: reading plan file %s: not a regular file (mode %v)", s.path, fi.Mode().Type())
	case fi.Size() > s.maxBytes:
		return fmt.Errorf("source: reading plan file %s: %w (%d bytes, limit %d)", s.path, ErrTooLarge, fi.Size(), s.maxBytes)
	}
	return nil
}

// read reads the file whole, and returns it with what the file was once
// read.
func (s *fileSource) read() ([]byte, fs.FileInfo, error) {
	doc, err := readPlanFile(s.path, s.maxBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("source: reading plan file: %w", err)
	}
	if int64(len(doc)) > s.maxBytes {
		return nil, nil, fmt.Errorf("source: reading plan file %s: %w (over the limit of %d bytes)", s.path, ErrTooLarge, s.maxBytes)
	}
	after, err := s.stat()
	if err != nil {
		return nil, nil, err
	}
	if int64(len(doc)) != after.Size() {
		return doc, nil, nil // it moved while read
	}
	return doc, after, nil
}

// readPlanFile is readFile; tests replace it to write while it reads.
var readPlanFile = readFile

// readFile reads at most limit+1 bytes of the regular file at path, so
// that a file that grew past the limit since it was checked still reads as
// too large. It opens the file without blocking and checks its mode again
// once open, so that a file swapped for a FIFO or a device after the
// check is refused, not waited on.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (mode %v)", path, fi.Mode().Type())
	}
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// sameFile reports whether a and b describe the same file, unchanged. A
// nil b, which read returns for a file that moved while read, is no file.
func sameFile(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
