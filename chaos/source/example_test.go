package source_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/source"
)

// A source of your own: it yields a plan from wherever you keep one. This
// one yields the plans it is given, then returns, as a one-shot source does.
type staticSource struct{ plans []string }

func (s staticSource) Name() string { return "static" }

func (s staticSource) Watch(ctx context.Context, yield func(source.Update)) error {
	for i, text := range s.plans {
		p, err := chaos.ParsePlan(text)
		if err != nil {
			yield(source.Update{Err: err}) // the runner keeps the last good plan
			continue
		}
		yield(source.Update{Plan: p, Version: fmt.Sprint("r", i)})
	}
	return nil
}

// Example shows a custom Source run by a Runner: a bad document keeps the
// last good plan, and the status counts what happened.
func Example() {
	e := chaos.New(chaos.WithSeed(1))
	src := staticSource{plans: []string{"payments.charge=error(declined)", "payments.charge=explode"}}
	r := source.NewRunner(e, src)
	if err := r.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	s := r.Status()
	fmt.Println("plan:", e.Plan(), "from", e.Active().Source)
	fmt.Println("applied:", s.Applied, "failed:", s.Failed)
	// Output:
	// plan: payments.charge=error(declined) from static@r0
	// applied: 1 failed: 1
}

func ExampleEnv() {
	os.Setenv(source.EnvVar, "db.query=5%error(timeout)")
	defer os.Unsetenv(source.EnvVar)

	e := chaos.New(chaos.WithSeed(1))
	r := source.NewRunner(e, source.Env())
	if err := r.Run(context.Background()); err != nil { // returns once applied
		fmt.Println(err)
	}
	fmt.Println(e.Plan())
	// Output:
	// db.query=5%error(timeout)
}

func ExampleApplyEnv() {
	os.Setenv(source.EnvVar, `{"version":"canary-3","rules":[{"point":"db.query","fault":"delay(50ms)","rate":0.01}]}`)
	defer os.Unsetenv(source.EnvVar)

	e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.ProductionPolicy()))
	if err := source.ApplyEnv(e); err != nil {
		fmt.Println(err)
	}
	fmt.Println(e.Plan(), "from", e.Active().Source)
	// Output:
	// db.query=1%delay(50ms) from env@canary-3
}

// writePlan writes a plan file the safe way: a temporary file in the same
// directory, flushed to disk, then renamed over the plan file, so that a
// reader sees the old plan or the new one, never half of one.
func writePlan(path, plan string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".plan-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails once renamed, as it should
	if _, err := f.WriteString(plan); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func ExampleFile() {
	dir, _ := os.MkdirTemp("", "faultline")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "plan.txt")
	if err := writePlan(path, "db.query=2*badconn"); err != nil {
		fmt.Println(err)
		return
	}

	e := chaos.New(chaos.WithSeed(1))
	applied := make(chan struct{}, 1)
	r := source.NewRunner(e, source.File(path), source.WithOnUpdate(func(source.RunnerStatus) {
		select {
		case applied <- struct{}{}:
		default:
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	<-applied
	cancel()
	<-done
	fmt.Println(e.Plan())
	// Output:
	// db.query=2*badconn
}

func ExampleHTTP() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		w.Header().Set("ETag", `"7"`)
		fmt.Fprint(w, `{"rules":[{"point":"GET /users/*","fault":"status(503)","rate":0.02}]}`)
	}))
	defer srv.Close()

	e := chaos.New(chaos.WithSeed(1), chaos.WithPolicy(chaos.ProductionPolicy()))
	updates := make(chan source.RunnerStatus, 1)
	r := source.NewRunner(e, source.HTTP(srv.URL, source.WithBearerToken("s3cret")),
		source.WithOnUpdate(func(s source.RunnerStatus) {
			select {
			case updates <- s:
			default:
			}
		}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	s := <-updates
	cancel()
	<-done
	fmt.Println("version:", s.Version, "applied:", s.Applied)
	fmt.Println(e.Plan())
	// Output:
	// version: 7 applied: 1
	// "GET /users/*"=2%status(503)
}
