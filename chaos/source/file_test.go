package source_test

import (
	"errors"
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

// replace writes content to path the safe way: a temporary file renamed
// into place.
func replace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
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
			source.WithOnUpdate(func(s source.Status) {
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
		tick := func() {
			t.Helper()
			<-time.After(time.Second) // fake time: the bubble's clock moves at once
			synctest.Wait()
		}
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
		tick()
		check("still missing is reported once", "", 0, 1)

		replace(t, path, `{"version":"v1","rules":[{"point":"db.query","fault":"error(a)"}]}`)
		tick()
		check("created", "db.query=error(a)", 1, 1)
		if got := e.Active().Source; got != "file:"+path+"@v1" {
			t.Errorf("source = %q", got)
		}
		tick()
		check("unchanged file is not read again", "db.query=error(a)", 1, 1)

		replace(t, path, "db.query=error(b)")
		tick()
		check("changed to text", "db.query=error(b)", 2, 1)

		replace(t, path, "db.query=error(b")
		tick()
		check("garbage keeps the last good plan", "db.query=error(b)", 2, 2)
		if err := r.Status().Err; !errors.Is(err, chaos.ErrInvalidPlan) {
			t.Errorf("error = %v, want one matching ErrInvalidPlan", err)
		}
		tick()
		check("the same garbage is reported once", "db.query=error(b)", 2, 2)

		replace(t, path, strings.Repeat("x", 201))
		tick()
		check("too large keeps the last good plan", "db.query=error(b)", 2, 3)
		if err := r.Status().Err; !errors.Is(err, source.ErrTooLarge) {
			t.Errorf("error = %v, want one matching ErrTooLarge", err)
		}

		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		tick()
		check("removed keeps the last good plan", "db.query=error(b)", 2, 4)

		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		tick()
		check("a directory keeps the last good plan", "db.query=error(b)", 2, 5)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}

		replace(t, path, "db.query=error(c)[ttl=90s]")
		tick()
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
