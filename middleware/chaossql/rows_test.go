package chaossql_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
)

// TestRowsError fails a result set in the middle: rows.Err returns the
// injected error after the rows read before it.
func TestRowsError(t *testing.T) {
	e := chaostest.New(t)
	db, keeper := openWrapped(t, e)
	mustExec(t, keeper, "CREATE TABLE t (x)")
	for i := range 5 {
		if _, err := keeper.ExecContext(context.Background(), "INSERT INTO t VALUES (?)", i); err != nil {
			t.Fatal(err)
		}
	}
	chaostest.Enable(t, e, "sql.rows=error(reset)[after=2]")
	rows, err := db.Query("SELECT x FROM t ORDER BY x")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var x int
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		got = append(got, x)
	}
	if err := rows.Err(); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("rows.Err() = %v, want the injected error", err)
	}
	if len(got) != 2 {
		t.Errorf("read %v before the fault, want 2 rows", got)
	}
}

// TestLatency checks latency and hang faults in a synctest bubble, where
// they take no real time.
func TestLatency(t *testing.T) {
	tests := []struct {
		name    string
		plan    string
		timeout time.Duration // of the call's context; 0 for none
		query   bool          // run a query rather than an insert
		wantErr error
		took    time.Duration
		jitter  time.Duration // took may be up to this much longer
		written int           // rows of t afterwards
	}{
		{name: "exec delay", plan: "sql.exec=delay(2s)", took: 2 * time.Second, written: 1},
		{name: "exec jitter", plan: "sql.exec=delay(2s,1ms)", took: 2 * time.Second, jitter: time.Millisecond, written: 1},
		{name: "exec delay past deadline", plan: "sql.exec=delay(2s)", timeout: time.Second,
			wantErr: context.DeadlineExceeded, took: time.Second},
		{name: "exec hang", plan: "sql.exec=hang", timeout: 30 * time.Second,
			wantErr: context.DeadlineExceeded, took: 30 * time.Second},
		{name: "exec hang past its bound", plan: "sql.exec=hang(5s)", timeout: 30 * time.Second,
			wantErr: faults.ErrInjected, took: 5 * time.Second},
		{name: "query delay", plan: "sql.query=delay(3s)", query: true, took: 3 * time.Second},
		{name: "query hang", plan: "sql.query=hang", query: true, timeout: 30 * time.Second,
			wantErr: context.DeadlineExceeded, took: 30 * time.Second},
		// Three rows and the end: four calls to Next.
		{name: "rows delay", plan: "sql.rows=delay(1s)", query: true, took: 4 * time.Second},
		{name: "rows hang", plan: "sql.rows=hang[after=1]", query: true, timeout: 30 * time.Second,
			wantErr: context.DeadlineExceeded, took: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := memDSN(t)
			keeper := keepAlive(t, dsn)
			mustExec(t, keeper, "CREATE TABLE t (x)")
			e := chaostest.New(t)
			synctest.Test(t, func(t *testing.T) {
				db := openDSN(t, dsn, e)
				if err := db.Ping(); err != nil { // connect outside the timing
					t.Fatal(err)
				}
				if tt.query {
					mustExec(t, db, "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)")
				}
				chaostest.Enable(t, e, tt.plan)
				ctx := context.Background()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				start := time.Now()
				var err error
				if tt.query {
					err = readAll(ctx, db)
				} else {
					_, err = db.ExecContext(ctx, "INSERT INTO t VALUES (1)")
				}
				if took := time.Since(start); took < tt.took || took > tt.took+tt.jitter {
					t.Errorf("took %v, want %v plus up to %v", took, tt.took, tt.jitter)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got %v, want %v", err, tt.wantErr)
				}
			})
			if want := tt.written; !tt.query && count(t, keeper, "t") != want {
				t.Errorf("%d rows written, want %d", count(t, keeper, "t"), want)
			}
		})
	}
}

// readAll reads every row of t.
func readAll(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "SELECT x FROM t")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}
