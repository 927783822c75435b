package chaospgx_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaospgx"
)

// TestPassThrough: with no plan, every call through the wrapper of a pool
// and of a connection does what the bare call does, and no point counts
// an evaluation.
func TestPassThrough(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    func(t *testing.T) chaospgx.Querier
	}{
		{"pool", func(t *testing.T) chaospgx.Querier { return newPool(t) }},
		{"conn", func(t *testing.T) chaospgx.Querier { return newConn(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t, "")
			db := chaospgx.Wrap(tc.q(t), e)
			if _, err := db.Exec(bg, "INSERT INTO items VALUES ($1, $2)", 1, "one"); err != nil {
				t.Fatal(err)
			}
			n, err := db.CopyFrom(bg, pgx.Identifier{"items"}, []string{"id", "name"},
				pgx.CopyFromRows([][]any{{2, "two"}, {3, "three"}}))
			if err != nil || n != 2 {
				t.Fatalf("CopyFrom = %d, %v", n, err)
			}
			b := &pgx.Batch{}
			b.Queue("INSERT INTO items VALUES (4, 'four')")
			b.Queue("UPDATE items SET name = 'ONE' WHERE id = 1")
			if err := db.SendBatch(bg, b).Close(); err != nil {
				t.Fatal(err)
			}
			err = pgx.BeginFunc(bg, db, func(tx pgx.Tx) error {
				if _, ok := tx.(*chaospgx.Tx); !ok {
					t.Errorf("Begin returned %T, want *chaospgx.Tx", tx)
				}
				_, err := tx.Exec(bg, "INSERT INTO items VALUES (5, 'five')")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.Query(bg, "SELECT name FROM items ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			names, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"ONE", "two", "three", "four", "five"}; len(names) != len(want) || names[0] != want[0] || names[4] != want[4] {
				t.Fatalf("names = %v, want %v", names, want)
			}
			for _, ps := range e.Stats().Points {
				if ps.Evaluations != 0 {
					t.Errorf("%s: %d evaluations with no plan", ps.Point, ps.Evaluations)
				}
			}
		})
	}
}

// TestFaults: an injected fault fails the call before it reaches the
// server, with an error that matches faults.ErrInjected, what the kind
// adds, and that pgconn.SafeToRetry reports safe to retry.
func TestFaults(t *testing.T) {
	insert := func(db *chaospgx.DB) error {
		_, err := db.Exec(bg, "INSERT INTO items VALUES (1, 'one')")
		return err
	}
	ops := []struct {
		point string
		run   func(db *chaospgx.DB) error
	}{
		{"pgx.exec", insert},
		{"pgx.query", func(db *chaospgx.DB) error {
			rows, err := db.Query(bg, "INSERT INTO items VALUES (1, 'one') RETURNING id")
			if err == nil {
				rows.Close()
				return rows.Err()
			}
			if rows == nil || rows.Next() || !errors.Is(rows.Err(), err) {
				t.Errorf("Query's Rows of a failed query: %v; want closed Rows reporting the error", rows)
			}
			rows.Close()
			return err
		}},
		{"pgx.query", func(db *chaospgx.DB) error {
			var id int
			return db.QueryRow(bg, "INSERT INTO items VALUES (1, 'one') RETURNING id").Scan(&id)
		}},
		{"pgx.copy", func(db *chaospgx.DB) error {
			_, err := db.CopyFrom(bg, pgx.Identifier{"items"}, []string{"id", "name"}, pgx.CopyFromRows([][]any{{1, "one"}}))
			return err
		}},
		{"pgx.batch", func(db *chaospgx.DB) error {
			b := &pgx.Batch{}
			b.Queue("INSERT INTO items VALUES (1, 'one')")
			br := db.SendBatch(bg, b)
			_, err := br.Exec()
			if cerr := br.Close(); !errors.Is(cerr, faults.ErrInjected) && err != nil {
				t.Errorf("Close after a failed batch: %v", cerr)
			}
			return err
		}},
		{"pgx.begin", func(db *chaospgx.DB) error {
			return pgx.BeginFunc(bg, db, func(tx pgx.Tx) error {
				_, err := tx.Exec(bg, "INSERT INTO items VALUES (1, 'one')")
				return err
			})
		}},
		{"pgx.commit", func(db *chaospgx.DB) error {
			return pgx.BeginFunc(bg, db, func(tx pgx.Tx) error {
				_, err := tx.Exec(bg, "INSERT INTO items VALUES (1, 'one')")
				return err
			})
		}},
	}
	kinds := []struct {
		fault string
		also  error
	}{
		{"error(boom)", nil},
		{"badconn", driver.ErrBadConn},
		{"abort", syscall.ECONNRESET},
	}
	pool := newPool(t)
	for _, op := range ops {
		for _, k := range kinds {
			t.Run(op.point+"/"+k.fault, func(t *testing.T) {
				if _, err := pool.Exec(bg, "DELETE FROM items"); err != nil {
					t.Fatal(err)
				}
				e := engine(t, op.point+"=1*"+k.fault)
				db := chaospgx.Wrap(pool, e)
				err := op.run(db)
				if !errors.Is(err, faults.ErrInjected) || (k.also != nil && !errors.Is(err, k.also)) {
					t.Fatalf("%v; want an injected error matching %v", err, k.also)
				}
				if !pgconn.SafeToRetry(err) {
					t.Errorf("pgconn.SafeToRetry(%v) = false; the call never reached the server", err)
				}
				if n := count(t, pool); n != 0 {
					t.Fatalf("%d rows written by a failed call", n)
				}
				// 1* fired once: the same call now succeeds.
				if err := op.run(db); err != nil {
					t.Fatalf("second call: %v", err)
				}
				if n := count(t, pool); n != 1 {
					t.Fatalf("%d rows after the second call, want 1", n)
				}
			})
		}
	}
}

// TestStmtLabel: rules select statements by class, from the SQL text.
func TestStmtLabel(t *testing.T) {
	pool := newPool(t)
	e := engine(t, "pgx.exec=error[label.stmt=insert];pgx.query=error[label.stmt=delete]")
	db := chaospgx.Wrap(pool, e)
	if _, err := db.Exec(bg, "INSERT INTO items VALUES (1, 'one')"); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("INSERT: %v, want an injected error", err)
	}
	if _, err := pool.Exec(bg, "INSERT INTO items VALUES (1, 'one')"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(bg, "UPDATE items SET name = 'uno'"); err != nil {
		t.Fatalf("UPDATE: %v", err)
	}
	var id int
	if err := db.QueryRow(bg, "SELECT id FROM items").Scan(&id); err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	if err := db.QueryRow(bg, "DELETE FROM items RETURNING id").Scan(&id); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("DELETE … RETURNING: %v, want an injected error", err)
	}
	if err := db.QueryRow(chaos.WithLabels(bg, "tenant", "a"), "SELECT id FROM items").Scan(&id); err != nil {
		t.Fatal(err)
	}
}

// TestCommit: an injected commit failure rolls the transaction back, so
// that none of its writes is visible, closes it, and leaves the
// connection usable; a rollback fault still rolls back.
func TestCommit(t *testing.T) {
	conn := newConn(t)
	for _, plan := range []string{"pgx.commit=1*error", "pgx.commit=1*abort", "pgx.rollback=1*error"} {
		t.Run(plan, func(t *testing.T) {
			db := chaospgx.Wrap(conn, engine(t, plan))
			tx, err := db.Begin(bg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(bg, "INSERT INTO items VALUES (1, 'one'), (2, 'two')"); err != nil {
				t.Fatal(err)
			}
			if plan == "pgx.rollback=1*error" {
				err = tx.Rollback(bg)
			} else {
				err = tx.Commit(bg)
			}
			if !errors.Is(err, faults.ErrInjected) {
				t.Fatalf("end of transaction: %v, want an injected error", err)
			}
			if err := tx.Rollback(bg); !errors.Is(err, pgx.ErrTxClosed) {
				t.Fatalf("Rollback after the failed end: %v, want pgx.ErrTxClosed", err)
			}
			if n := count(t, conn); n != 0 {
				t.Fatalf("%d rows of a failed transaction visible", n)
			}
		})
	}
}

// TestCommitPanic: a panic at commit rolls the transaction back first.
func TestCommitPanic(t *testing.T) {
	conn := newConn(t)
	db := chaospgx.Wrap(conn, engine(t, "pgx.commit=panic(crash)"))
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(bg, "INSERT INTO items VALUES (1, 'one')"); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !errors.Is(r.(error), faults.ErrInjected) {
				t.Fatalf("recovered %v, want the injected panic", r)
			}
		}()
		tx.Commit(bg)
	}()
	if n := count(t, conn); n != 0 {
		t.Fatalf("%d rows of a panicked commit visible", n)
	}
}

// TestBatchTx: a batch that begins a transaction (Batch.BeginTx) gives a
// wrapped transaction, whose commit has its point; a failed one gives a
// closed transaction, as pgx does.
func TestBatchTx(t *testing.T) {
	pool := newPool(t)
	e := engine(t, "pgx.commit=1*error;pgx.batch=1*error[after=1]")
	db := chaospgx.Wrap(pool, e)
	send := func() pgx.BatchResults {
		b := &pgx.Batch{}
		b.BeginTx(pgx.TxOptions{})
		b.Queue("INSERT INTO items VALUES (1, 'one')")
		return db.SendBatch(bg, b)
	}
	br := send()
	tx := br.Tx()
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(bg); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("Commit of the batch's transaction: %v, want an injected error", err)
	}
	if n := count(t, pool); n != 0 {
		t.Fatalf("%d rows of a failed commit visible", n)
	}
	br = send()
	if err := br.Close(); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("second batch: %v, want an injected error", err)
	}
	if err := br.Tx().Rollback(bg); !errors.Is(err, pgx.ErrTxClosed) {
		t.Fatalf("Rollback of the failed batch's transaction: %v, want pgx.ErrTxClosed", err)
	}
}

// TestLatencyCancelled: a latency fault ends with the call's context, and
// the statement is not run. The observer cancels the context as the fault
// fires, so nothing depends on timing.
func TestLatencyCancelled(t *testing.T) {
	pool := newPool(t)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	e := chaos.New(chaos.WithSeed(1), chaos.WithObserver(chaos.ObserverFunc(func(context.Context, chaos.Event) { cancel() })))
	if err := e.Apply(chaos.MustParsePlan("pgx.exec=delay(1h)")); err != nil {
		t.Fatal(err)
	}
	if _, err := chaospgx.Wrap(pool, e).Exec(ctx, "INSERT INTO items VALUES (1, 'one')"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Exec: %v, want context.Canceled", err)
	}
	if n := count(t, pool); n != 0 {
		t.Fatalf("%d rows written by a cancelled Exec", n)
	}
}

// TestWrapTx: a wrapped pgx.Tx has the points too, and BeginTx with
// options on it fails, as it has no BeginTx.
func TestWrapTx(t *testing.T) {
	conn := newConn(t)
	raw, err := conn.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Rollback(bg)
	db := chaospgx.Wrap(raw, engine(t, "pgx.exec=error"))
	if _, err := db.Exec(bg, "DELETE FROM items"); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("Exec: %v, want an injected error", err)
	}
	if _, err := db.BeginTx(bg, pgx.TxOptions{IsoLevel: pgx.Serializable}); err == nil {
		t.Fatal("BeginTx with options on a pgx.Tx succeeded")
	}
	sp, err := db.BeginTx(bg, pgx.TxOptions{})
	if err != nil {
		t.Fatalf("savepoint: %v", err)
	}
	sp.Rollback(bg)
}

// TestPrefix: WithPrefix names the points.
func TestPrefix(t *testing.T) {
	pool := newPool(t)
	e := engine(t, "pgx.orders.exec=error")
	if _, err := chaospgx.Wrap(pool, e, chaospgx.WithPrefix("pgx.orders.")).Exec(bg, "DELETE FROM items"); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("Exec: %v, want an injected error at pgx.orders.exec", err)
	}
	if _, err := chaospgx.Wrap(pool, e).Exec(bg, "DELETE FROM items"); err != nil {
		t.Fatalf("Exec under the default prefix: %v", err)
	}
}
