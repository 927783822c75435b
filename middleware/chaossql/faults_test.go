package chaossql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"syscall"
	"testing"

	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// TestPoints fails each point in turn and checks that the call it guards
// returns the injected error, naming that point, and that no other point
// fired.
func TestPoints(t *testing.T) {
	tests := []struct {
		point string
		op    func(ctx context.Context, db *sql.DB) error
	}{
		{"sql.connect", func(ctx context.Context, db *sql.DB) error { return db.PingContext(ctx) }},
		{"sql.ping", func(ctx context.Context, db *sql.DB) error { return db.PingContext(ctx) }},
		{"sql.begin", func(ctx context.Context, db *sql.DB) error {
			_, err := db.BeginTx(ctx, nil)
			return err
		}},
		{"sql.commit", func(ctx context.Context, db *sql.DB) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			return tx.Commit()
		}},
		{"sql.rollback", func(ctx context.Context, db *sql.DB) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			return tx.Rollback()
		}},
		{"sql.prepare", func(ctx context.Context, db *sql.DB) error {
			_, err := db.PrepareContext(ctx, "SELECT 1")
			return err
		}},
		{"sql.exec", func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, "INSERT INTO t (x) VALUES (1)")
			return err
		}},
		{"sql.query", func(ctx context.Context, db *sql.DB) error {
			rows, err := db.QueryContext(ctx, "SELECT x FROM t")
			if err != nil {
				return err
			}
			return rows.Close()
		}},
		{"sql.rows", func(ctx context.Context, db *sql.DB) error {
			rows, err := db.QueryContext(ctx, "SELECT 1")
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			return rows.Err()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.point, func(t *testing.T) {
			e := chaostest.New(t)
			db, keeper := openWrapped(t, e)
			mustExec(t, keeper, "CREATE TABLE t (x)")
			chaostest.Enable(t, e, tt.point+"=error(boom)")
			err := tt.op(context.Background(), db)
			var ie *faults.InjectedError
			if !errors.As(err, &ie) || !errors.Is(err, faults.ErrInjected) {
				t.Fatalf("got %v, want an injected error", err)
			}
			if ie.Point != tt.point || ie.Fault != faults.Error("boom") {
				t.Errorf("injected %v at %q, want error(boom) at %q", ie.Fault, ie.Point, tt.point)
			}
			if errors.Is(err, driver.ErrBadConn) {
				t.Errorf("%v matches driver.ErrBadConn", err)
			}
			for _, ps := range e.Stats().Points {
				want := uint64(0)
				if ps.Point == tt.point {
					want = 1
				}
				if ps.Fired != want {
					t.Errorf("%s fired %d times, want %d", ps.Point, ps.Fired, want)
				}
			}
		})
	}
}

// TestKinds checks what each fault kind does at sql.exec.
func TestKinds(t *testing.T) {
	tests := []struct {
		fault   string
		badConn bool   // the error matches driver.ErrBadConn
		reset   bool   // and syscall.ECONNRESET
		evals   uint64 // evaluations of sql.exec: database/sql tries a bad connection's call three times
	}{
		{fault: "error(boom)", evals: 1},
		{fault: "status(503)", evals: 1},
		{fault: "corrupt", evals: 1},
		{fault: "badconn", badConn: true, evals: 3},
		{fault: "abort", badConn: true, reset: true, evals: 3},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			e := chaostest.New(t)
			db, keeper := openWrapped(t, e)
			mustExec(t, keeper, "CREATE TABLE t (x)")
			chaostest.Enable(t, e, "sql.exec="+tt.fault)
			_, err := db.Exec("INSERT INTO t (x) VALUES (1)")
			if !errors.Is(err, faults.ErrInjected) {
				t.Fatalf("got %v, want an injected error", err)
			}
			f, perr := faults.ParseFault(tt.fault)
			if perr != nil {
				t.Fatal(perr)
			}
			if want := faults.NewInjectedError("sql.exec", f).Error(); err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			if got := errors.Is(err, driver.ErrBadConn); got != tt.badConn {
				t.Errorf("errors.Is(%v, driver.ErrBadConn) = %v, want %v", err, got, tt.badConn)
			}
			if got := errors.Is(err, syscall.ECONNRESET); got != tt.reset {
				t.Errorf("errors.Is(%v, syscall.ECONNRESET) = %v, want %v", err, got, tt.reset)
			}
			if got := pointStats(e, "sql.exec").Evaluations; got != tt.evals {
				t.Errorf("sql.exec evaluated %d times, want %d", got, tt.evals)
			}
			if n := count(t, keeper, "t"); n != 0 {
				t.Errorf("%d rows written, want none", n)
			}
		})
	}
}

// TestBadConnRetried checks that database/sql retries a call that failed
// with an injected bad connection on another connection, so that the
// caller never sees it.
func TestBadConnRetried(t *testing.T) {
	tests := []struct {
		plan string
		op   func(db *sql.DB) error
	}{
		{"sql.query=1*badconn", func(db *sql.DB) error {
			var n int
			return db.QueryRow("SELECT count(*) FROM t").Scan(&n)
		}},
		{"sql.exec=1*abort", func(db *sql.DB) error {
			_, err := db.Exec("INSERT INTO t (x) VALUES (1)")
			return err
		}},
		{"sql.connect=1*badconn", func(db *sql.DB) error { return db.Ping() }},
		{"sql.begin=1*badconn", func(db *sql.DB) error {
			tx, err := db.Begin()
			if err != nil {
				return err
			}
			return tx.Commit()
		}},
		{"sql.prepare=1*badconn", func(db *sql.DB) error {
			s, err := db.Prepare("SELECT 1")
			if err != nil {
				return err
			}
			return s.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.plan, func(t *testing.T) {
			e := chaostest.New(t)
			db, keeper := openWrapped(t, e)
			mustExec(t, keeper, "CREATE TABLE t (x)")
			chaostest.Enable(t, e, tt.plan)
			if err := tt.op(db); err != nil {
				t.Fatalf("got %v, want database/sql to retry", err)
			}
			var fired uint64
			for _, ps := range e.Stats().Points {
				fired += ps.Fired
			}
			if fired != 1 {
				t.Errorf("%d faults fired, want 1", fired)
			}
		})
	}
}

// TestBrokenConn checks that a connection an injected bad connection broke
// stays broken, and that the pool goes on with a new one.
func TestBrokenConn(t *testing.T) {
	e := chaostest.New(t)
	db, _ := openWrapped(t, e)
	chaostest.Enable(t, e, "sql.rows=1*badconn")
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rows, err := c.QueryContext(ctx, "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Fatal("Next succeeded, want the injected bad connection")
	}
	if err := rows.Err(); !errors.Is(err, driver.ErrBadConn) || !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("rows.Err() = %v, want an injected bad connection", err)
	}
	_, err = c.ExecContext(ctx, "SELECT 1")
	if !errors.Is(err, chaossql.ErrBrokenConn) || !errors.Is(err, driver.ErrBadConn) || !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("next call on the connection: %v, want ErrBrokenConn", err)
	}
	if err.Error() != chaossql.ErrBrokenConn.Error() {
		t.Errorf("error %q, want %q", err, chaossql.ErrBrokenConn)
	}
	if _, err := c.ExecContext(ctx, "SELECT 1"); !errors.Is(err, sql.ErrConnDone) {
		t.Errorf("call after database/sql discarded it: %v, want sql.ErrConnDone", err)
	}
	if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Errorf("pool after a broken connection: %v", err)
	}
}

// TestPanic checks that a panic fault panics with the injected error.
func TestPanic(t *testing.T) {
	e := chaostest.New(t)
	db, _ := openWrapped(t, e)
	chaostest.Enable(t, e, "sql.query=1*panic(boom)")
	func() {
		defer func() {
			r := recover()
			err, ok := r.(error)
			if !ok || !errors.Is(err, faults.ErrInjected) {
				t.Errorf("recovered %v, want the injected error", r)
			}
		}()
		_, _ = db.Exec("SELECT 1") // not a query: nothing fires
		var n int
		_ = db.QueryRow("SELECT 1").Scan(&n)
		t.Error("QueryRow returned, want a panic")
	}()
}

// TestConcurrent runs statements, prepared and not, and transactions from
// several goroutines with faults firing at every point, for the race
// detector; every error must be an injected one.
func TestConcurrent(t *testing.T) {
	e := chaostest.New(t)
	db, keeper := openWrapped(t, e)
	mustExec(t, keeper, "CREATE TABLE t (x)")
	chaostest.Enable(t, e, "sql.*=20%error(flaky)")
	stmt, err := db.Prepare("SELECT count(*) FROM t WHERE x >= ?")
	for err != nil { // sql.prepare may fail too
		if !errors.Is(err, faults.ErrInjected) {
			t.Fatal(err)
		}
		stmt, err = db.Prepare("SELECT count(*) FROM t WHERE x >= ?")
	}
	defer stmt.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 4*20)
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				var err error
				switch i % 3 {
				case 0:
					var n int
					err = stmt.QueryRow(i).Scan(&n)
				case 1:
					_, err = db.Exec("INSERT INTO t VALUES (?)", g*100+i)
				case 2:
					var tx *sql.Tx
					if tx, err = db.Begin(); err == nil {
						if _, err = tx.Exec("UPDATE t SET x = x WHERE x = ?", i); err != nil {
							_ = tx.Rollback()
						} else {
							err = tx.Commit()
						}
					}
				}
				if err != nil && !errors.Is(err, faults.ErrInjected) {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("not an injected error: %v", err)
	}
}
