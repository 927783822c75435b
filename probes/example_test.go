package probes_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/faultline-go/faultline/probes"
)

func ExampleFunc() {
	queueDepth := 12 // in a real service: read from the queue
	p := probes.Func("queue depth", func(ctx context.Context) error {
		if queueDepth > 100 {
			return fmt.Errorf("queue depth %d is above 100", queueDepth)
		}
		return nil
	})

	r := p.Check(context.Background())
	fmt.Println(r.Probe, r.OK)

	queueDepth = 250
	r = p.Check(context.Background())
	fmt.Println(r.Probe, r.OK, r.Err)
	// Output:
	// queue depth true
	// queue depth false queue depth 250 is above 100
}

func ExampleHTTP() {
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()

	p := probes.HTTP("api health", srv.URL+"/healthz",
		probes.WithStatus(http.StatusOK),
		probes.WithMaxLatency(2*time.Second),
	)
	r := p.Check(context.Background())
	fmt.Println(r.Probe, r.OK)

	down.Store(true)
	r = p.Check(context.Background())
	fmt.Println(r.Probe, r.OK, r.Err)
	// Output:
	// api health true
	// api health false probes: status 503, want 200
}

func ExampleSQL() {
	db, err := sql.Open("sqlite", "file:example_sql?mode=memory&cache=shared")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT);
		INSERT INTO jobs (state) VALUES ('done'), ('done'), ('failed')`); err != nil {
		fmt.Println(err)
		return
	}

	// Steady state: at most one failed job.
	p := probes.SQL("failed jobs", db, `SELECT count(*) FROM jobs WHERE state = ?`,
		probes.WithArgs("failed"),
		probes.WithExpect(func(rows *sql.Rows) error {
			var n int
			if !rows.Next() {
				return errors.New("no count")
			}
			if err := rows.Scan(&n); err != nil {
				return err
			}
			if n > 1 {
				return fmt.Errorf("%d failed jobs, want at most 1", n)
			}
			return nil
		}),
	)
	r := p.Check(context.Background())
	fmt.Println(r.Probe, r.OK)

	db.Exec(`INSERT INTO jobs (state) VALUES ('failed')`)
	r = p.Check(context.Background())
	fmt.Println(r.Probe, r.OK, r.Err)
	// Output:
	// failed jobs true
	// failed jobs false probes: unexpected rows: 2 failed jobs, want at most 1
}

func ExampleNewSampleWindow() {
	w := probes.NewSampleWindow(100)
	for i := range 100 {
		// 1ms to 100ms; every 25th call fails.
		w.Record(i%25 != 0, time.Duration(i+1)*time.Millisecond)
	}
	s := w.Snapshot()
	fmt.Println("count:", s.Count, "ratio:", s.SuccessRatio)
	fmt.Println("p50:", s.P50, "p95:", s.P95, "p99:", s.P99, "max:", s.Max)
	// Output:
	// count: 100 ratio: 0.96
	// p50: 50ms p95: 95ms p99: 99ms max: 100ms
}

func ExampleSampleWindow_Observe() {
	sli := probes.NewSampleWindow(1000, probes.WithMaxAge(time.Minute))
	handler := func(w http.ResponseWriter, r *http.Request) {
		var err error
		defer func(start time.Time) { sli.Observe(start, err) }(time.Now())
		if r.URL.Query().Get("fail") != "" {
			err = errors.New("boom")
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
	for _, url := range []string{"/", "/", "/?fail=1", "/"} {
		handler(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, url, nil))
	}
	s := sli.Snapshot()
	fmt.Println(s.Count, s.Successes)
	// Output:
	// 4 3
}

func ExampleSampleWindow_SuccessRatioAtLeast() {
	w := probes.NewSampleWindow(1000)
	p := w.SuccessRatioAtLeast("checkout success", 0.99, 100)

	fmt.Println(p.Check(context.Background()).Observed)

	for i := range 250 {
		w.Record(i%40 != 0, time.Millisecond) // 7 of 250 fail
	}
	r := p.Check(context.Background())
	fmt.Println(r.OK, r.Observed)
	// Output:
	// not enough data: 0 calls (need 100)
	// false success ratio 0.972 over 250 calls, 243 ok (want >= 0.99)
}

func ExampleSampleWindow_LatencyAtMost() {
	w := probes.NewSampleWindow(1000)
	for i := range 200 {
		w.Record(true, time.Duration(i%100+1)*time.Millisecond)
	}
	p := w.LatencyAtMost("checkout p99", 0.99, 150*time.Millisecond, 100)
	r := p.Check(context.Background())
	fmt.Println(r.OK, r.Observed)
	// Output:
	// true p99 latency 99ms over 200 calls (want <= 150ms)
}
