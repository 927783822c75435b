package chaossql_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// TestCommitFault checks that an injected commit failure leaves none of the
// transaction's writes visible, and the pool usable.
func TestCommitFault(t *testing.T) {
	for _, fault := range []string{"error(disk full)", "badconn", "abort", "status(503)"} {
		t.Run(fault, func(t *testing.T) {
			e := chaostest.New(t)
			db, keeper := openWrapped(t, e)
			mustExec(t, keeper, "CREATE TABLE t (x)")
			chaostest.Enable(t, e, "sql.commit=1*"+fault)
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx, "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)")
			if err := tx.Commit(); !errors.Is(err, faults.ErrInjected) {
				t.Fatalf("Commit: %v, want an injected error", err)
			}
			if n := count(t, keeper, "t"); n != 0 {
				t.Errorf("%d rows visible after a failed commit, want 0", n)
			}
			// The connection holds no transaction: the next one commits.
			tx, err = db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			mustExec(t, tx, "INSERT INTO t VALUES (4)")
			if err := tx.Commit(); err != nil {
				t.Fatalf("second Commit: %v", err)
			}
			if n := count(t, keeper, "t"); n != 1 {
				t.Errorf("%d rows after the second commit, want 1", n)
			}
		})
	}
}

// TestCommitPanic checks that a panic at sql.commit rolls the transaction
// back before it panics.
func TestCommitPanic(t *testing.T) {
	e := chaostest.New(t)
	db, keeper := openWrapped(t, e)
	mustExec(t, keeper, "CREATE TABLE t (x)")
	chaostest.Enable(t, e, "sql.commit=panic(boom)")
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx, "INSERT INTO t VALUES (1)")
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("Commit returned, want a panic")
			}
		}()
		_ = tx.Commit()
	}()
	if n := count(t, keeper, "t"); n != 0 {
		t.Errorf("%d rows visible after a panicking commit, want 0", n)
	}
}

// TestRollbackFault checks that the transaction is rolled back even when
// sql.rollback fails.
func TestRollbackFault(t *testing.T) {
	e := chaostest.New(t)
	db, keeper := openWrapped(t, e)
	mustExec(t, keeper, "CREATE TABLE t (x)", "INSERT INTO t VALUES (0)")
	chaostest.Enable(t, e, "sql.rollback=error(network)")
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx, "DELETE FROM t")
	if err := tx.Rollback(); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("Rollback: %v, want an injected error", err)
	}
	if n := count(t, keeper, "t"); n != 1 {
		t.Errorf("%d rows after the rollback, want 1", n)
	}
}

// TestErrorInTransaction checks that a statement failing inside a
// transaction, then a rollback, leaves the database as it was.
func TestErrorInTransaction(t *testing.T) {
	e := chaostest.New(t)
	db, keeper := openWrapped(t, e)
	mustExec(t, keeper, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)")
	chaostest.Enable(t, e, "sql.exec=error(lock timeout)[label.stmt=update]")
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx, "INSERT INTO t VALUES (3)", "DELETE FROM t WHERE x = 1")
	if _, err := tx.Exec("UPDATE t SET x = x * 10"); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("UPDATE: %v, want an injected error", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := keeper.QueryRowContext(context.Background(), "SELECT sum(x) FROM t").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if n := count(t, keeper, "t"); n != 2 || sum != 3 {
		t.Errorf("after rollback: %d rows summing to %d, want 2 rows summing to 3", n, sum)
	}
}

// TestCommitHang checks that a hang at sql.commit ends with the context the
// transaction began with, and leaves nothing written.
func TestCommitHang(t *testing.T) {
	dsn := memDSN(t)
	keeper := keepAlive(t, dsn)
	mustExec(t, keeper, "CREATE TABLE t (x)")
	e := chaostest.New(t)
	synctest.Test(t, func(t *testing.T) {
		db := openDSN(t, dsn, e)
		chaostest.Enable(t, e, "sql.commit=hang")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, tx, "INSERT INTO t VALUES (1)")
		start := time.Now()
		if err := tx.Commit(); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Commit: %v, want the context's deadline", err)
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Errorf("Commit hung for %v, want 30s", d)
		}
	})
	if n := count(t, keeper, "t"); n != 0 {
		t.Errorf("%d rows visible after a hung commit, want 0", n)
	}
}

// TestRollbackFailureBreaksConn checks that when the rollback after an
// injected commit failure itself fails, the connection is broken, so that
// database/sql will not reuse a connection that may hold a transaction.
func TestRollbackFailureBreaksConn(t *testing.T) {
	e := chaostest.New(t)
	c, err := chaossql.Wrap(failingTxConnector{}, e).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	chaostest.Enable(t, e, "sql.commit=error(lost)")
	tx, err := c.(driver.ConnBeginTx).BeginTx(context.Background(), driver.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("Commit: %v, want the injected error", err)
	}
	if err := c.(driver.Pinger).Ping(context.Background()); !errors.Is(err, chaossql.ErrBrokenConn) {
		t.Errorf("Ping after a failed rollback: %v, want ErrBrokenConn", err)
	}
}
