package source_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// runFile writes plan to a new file and runs, inside a synctest bubble
// and until the test ends, a runner over a File source at its path
// checking every second, on a new engine. It returns once the engine has
// the file's plan.
func runFile(t *testing.T, plan string) (path string, e *chaos.Engine, r *source.Runner) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "plan")
	replace(t, path, plan)
	e = chaos.New(chaos.WithSeed(1))
	r = source.NewRunner(e, source.File(path, source.WithInterval(time.Second)))
	stop := run(t, r)
	t.Cleanup(func() { _ = stop() })
	tick(time.Second)
	if got := e.Plan().String(); got != plan {
		t.Fatalf("plan = %q at start, want %q", got, plan)
	}
	return path, e, r
}

// replace writes content to path the safe way: a temporary file in the
// same directory, flushed to disk, then renamed into place.
func replace(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.CreateTemp(filepath.Dir(path), ".plan-*.tmp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		t.Fatal(err)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.json")
	synctest.Test(t, func(t *testing.T) {
		e := chaos.New(chaos.WithSeed(1))
		var (
			mu   sync.Mutex
			seen []error
		)
		r := source.NewRunner(e, source.File(path, source.WithInterval(time.Second), source.WithMaxBytes(200)),
			source.WithOnUpdate(func(s source.RunnerStatus) {
				mu.Lock()
				defer mu.Unlock()
				if s.Err != nil && (len(seen) == 0 || seen[len(seen)-1] != s.Err) {
					seen = append(seen, s.Err)
				}
			}))
		errs := func() []error {
			mu.Lock()
			defer mu.Unlock()
			return append([]error(nil), seen...)
		}
		stop := run(t, r)
		defer stop()
		// settle lets a new file hold still for a whole interval, after
		// which the source reads it.
		settle := func() { tick(time.Second); tick(time.Second) }
		check := func(step, plan string, applied, failed uint64) {
			t.Helper()
			if got := e.Plan().String(); got != plan {
				t.Errorf("%s: plan = %q, want %q", step, got, plan)
			}
			if s := r.Status(); s.Applied != applied || s.Failed != failed {
				t.Errorf("%s: status = %+v, want %d applied and %d failed", step, s, applied, failed)
			}
		}

		synctest.Wait()
		check("missing at start", "", 0, 1)
		if errs := errs(); len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
			t.Fatalf("errors = %v, want one matching fs.ErrNotExist", errs)
		}
		tick(time.Second)
		check("still missing is reported once", "", 0, 1)

		replace(t, path, `{"version":"v1","rules":[{"point":"db.query","fault":"error(a)"}]}`)
		tick(time.Second)
		check("created, not read before it holds still", "", 0, 1)
		tick(time.Second)
		check("created", "db.query=error(a)", 1, 1)
		if got := e.Active().Source; got != "file:"+path+"@v1" {
			t.Errorf("source = %q", got)
		}
		tick(time.Second)
		check("unchanged file is not read again", "db.query=error(a)", 1, 1)

		replace(t, path, "db.query=error(b)")
		settle()
		check("changed to text", "db.query=error(b)", 2, 1)

		replace(t, path, "db.query=error(b")
		settle()
		check("garbage keeps the last good plan", "db.query=error(b)", 2, 2)
		if err := r.Status().Err; !errors.Is(err, chaos.ErrInvalidPlan) {
			t.Errorf("error = %v, want one matching ErrInvalidPlan", err)
		}
		tick(time.Second)
		check("the same garbage is reported once", "db.query=error(b)", 2, 2)

		replace(t, path, strings.Repeat("x", 201))
		tick(time.Second)
		check("too large keeps the last good plan", "db.query=error(b)", 2, 3)
		if err := r.Status().Err; !errors.Is(err, source.ErrTooLarge) {
			t.Errorf("error = %v, want one matching ErrTooLarge", err)
		}

		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		tick(time.Second)
		check("removed keeps the last good plan", "db.query=error(b)", 2, 4)

		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		tick(time.Second)
		check("a directory keeps the last good plan", "db.query=error(b)", 2, 5)
		if err := r.Status().Err; err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("error = %v, want not a regular file", err)
		}
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}

		replace(t, path, "db.query=error(c)[ttl=90s]")
		settle()
		check("back", "db.query=error(c)[ttl=1m30s]", 3, 5)
		if err := e.Point("db.query").Inject(t.Context()); err == nil {
			t.Error("the rule from the file did not fire")
		}
		<-time.After(90 * time.Second)
		if err := e.Point("db.query").Inject(t.Context()); err != nil {
			t.Errorf("the rule fired after its TTL: %v", err)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFileName(t *testing.T) {
	if got := source.File("/etc/plan.json").Name(); got != "file:/etc/plan.json" {
		t.Errorf("Name() = %q", got)
	}
}

// A file written in place in two halves, one check apart, is never taken
// for the shorter plan of its first half.
func TestFileTwoHalves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path, e, r := runFile(t, "db.query=error(old)")

		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for i, half := range []string{"db.query=error(a);", "db.exec=error(b)"} {
			if _, err := f.WriteString(half); err != nil {
				t.Fatal(err)
			}
			tick(time.Second)
			if got := e.Plan().String(); got != "db.query=error(old)" {
				t.Fatalf("after half %d: plan = %q, want the old plan until the file holds still", i+1, got)
			}
		}
		tick(time.Second)
		if got := e.Plan().String(); got != "db.query=error(a);db.exec=error(b)" {
			t.Fatalf("plan = %q once the file held still, want the whole plan", got)
		}
		if s := r.Status(); s.Applied != 2 || s.Failed != 0 {
			t.Errorf("status = %+v, want 2 applied and none failed", s)
		}
	})
}

// The kill switch holds while the file is rewritten, and once a person
// re-arms the engine the file's plan applies at the next check, though
// the file did not change again.
func TestFileKillSwitch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path, e, r := runFile(t, "db.query=error(a)")
		e.Disable("test: alice")
		replace(t, path, "db.query=error(b)")
		for range 10 {
			tick(time.Second)
		}
		if !e.Disabled() || e.Plan().String() != "" {
			t.Fatalf("a rewritten file undid the kill switch: disabled %v, plan %q", e.Disabled(), e.Plan())
		}
		if s := r.Status(); !s.Holding || s.Held != 1 || s.Applied != 1 || s.Err != nil {
			t.Errorf("status = %+v, want the new plan held once", s)
		}
		e.Rearm("test: alice")
		tick(time.Second)
		if got := e.Plan().String(); got != "db.query=error(b)" {
			t.Fatalf("plan = %q after the re-arm, want the file's", got)
		}
		if s := r.Status(); s.Holding || s.Applied != 2 {
			t.Errorf("status = %+v, want 2 applied and nothing held", s)
		}
	})
}

// With polling off the file is read once, at once, and Watch returns.
func TestFileOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan")
	replace(t, path, "db.query=error(a)")
	tests := []struct {
		name, path, plan string
		failed           uint64
	}{
		{name: "plan", path: path, plan: "db.query=error(a)"},
		{name: "missing", path: path + ".missing", failed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := chaos.New()
				ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
				defer cancel()
				r := source.NewRunner(e, source.File(tt.path, source.WithInterval(-1)))
				if err := r.Run(ctx); err != nil {
					t.Fatal(err)
				}
				if ctx.Err() != nil {
					t.Error("Run returned only when its context was done")
				}
				if got := e.Plan().String(); got != tt.plan {
					t.Errorf("plan = %q, want %q", got, tt.plan)
				}
				if s := r.Status(); s.Failed != tt.failed {
					t.Errorf("status = %+v, want %d failed", s, tt.failed)
				}
			})
		})
	}
}

// No file larger than chaos.MaxPlanSize is read, whatever WithMaxBytes
// says.
func TestFileMaxBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan")
	replace(t, path, strings.Repeat(" ", chaos.MaxPlanSize)+"db.query=error(a)")
	for _, n := range []int64{0, -1, 1 << 30} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, _ := firstUpdate(t, source.File(path, source.WithMaxBytes(n)))
			if !errors.Is(s.Err, source.ErrTooLarge) {
				t.Errorf("error = %.200v, want one matching ErrTooLarge", s.Err)
			}
		})
	}
}
