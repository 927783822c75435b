//go:build unix

package source_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// A FIFO or a device is no plan file: the source reports it, counted as
// failed, and never blocks on it, so Run stops when asked.
func TestFileNotRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "plan.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	for _, tt := range []struct{ name, path string }{{"fifo", fifo}, {"dev-null", os.DevNull}, {"dev-zero", "/dev/zero"}} {
		path := tt.path
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(path); err != nil {
				t.Skip(err)
			}
			updates := make(chan source.RunnerStatus, 16)
			r := source.NewRunner(chaos.New(), source.File(path, source.WithInterval(time.Millisecond)),
				source.WithOnUpdate(func(s source.RunnerStatus) { updates <- s }))
			stop := run(t, r)
			select {
			case s := <-updates:
				if s.Failed != 1 || s.Err == nil || !strings.Contains(s.Err.Error(), "not a regular file") {
					t.Errorf("status = %+v, want one failure: not a regular file", s)
				}
			case <-time.After(10 * time.Second):
				// The old source blocks in open(2) on a FIFO: open the
				// other end so that the test ends.
				if path == fifo {
					if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
						w.Close()
					}
				}
				t.Errorf("no update from %s in 10s", path)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
