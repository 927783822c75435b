package chaossql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"modernc.org/sqlite"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// transcript runs a workout of database/sql on db, and returns what every
// call gave back, errors included, one line per result.
func transcript(t *testing.T, db *sql.DB) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out []string
	logf := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	result := func(what string, r sql.Result, err error) {
		if err != nil {
			logf("%s: error %v", what, err)
			return
		}
		id, idErr := r.LastInsertId()
		n, nErr := r.RowsAffected()
		logf("%s: id %d (%v), affected %d (%v)", what, id, idErr, n, nErr)
	}
	logErr := func(what string, err error) { logf("%s: %v", what, err) }

	logErr("ping", db.PingContext(ctx))
	r, err := db.ExecContext(ctx, `CREATE TABLE items (
		id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, qty INT,
		data BLOB, created DATETIME, flag BOOLEAN, v)`)
	result("create", r, err)

	ins, err := db.PrepareContext(ctx, `INSERT INTO items (name, price, qty, data, created, flag, v) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	defer ins.Close()
	when := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	for i, args := range [][]any{
		{"apple", 1.5, 3, []byte{1, 2}, when, true, int64(7)},
		{"pear", nil, nil, nil, nil, nil, nil},
		{"plum", sql.NullFloat64{}, 0, []byte{}, when.Add(time.Hour), false, "text"},
		{"fig", 2.25, -1, []byte("x"), when, sql.NullBool{Bool: true, Valid: true}, 3.5},
	} {
		r, err := ins.ExecContext(ctx, args...)
		result(fmt.Sprintf("insert %d", i), r, err)
	}
	r, err = ins.ExecContext(ctx, nil, 1, 1, nil, nil, nil, nil)
	result("insert null name", r, err)
	r, err = ins.ExecContext(ctx, "too few")
	result("insert too few", r, err)

	r, err = db.ExecContext(ctx, `UPDATE items SET qty = :q WHERE name = :n`, sql.Named("q", 42), sql.Named("n", "pear"))
	result("update named", r, err)
	r, err = db.ExecContext(ctx, `UPDATE items SET qty = qty + ? WHERE qty IS NOT NULL`, 1)
	result("update", r, err)
	r, err = db.ExecContext(ctx, `DELET FROM items`)
	result("syntax error", r, err)

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	r, err = tx.ExecContext(ctx, `INSERT INTO items (name) VALUES ('kiwi')`)
	result("tx insert", r, err)
	r, err = tx.StmtContext(ctx, ins).ExecContext(ctx, "lime", 0.5, 9, nil, nil, nil, nil)
	result("tx stmt insert", r, err)
	logErr("commit", tx.Commit())
	logErr("commit again", tx.Commit())

	tx, err = db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	r, err = tx.ExecContext(ctx, `DELETE FROM items`)
	result("tx delete", r, err)
	logErr("rollback", tx.Rollback())

	for _, opts := range []*sql.TxOptions{{ReadOnly: true}, {Isolation: sql.LevelSerializable}} {
		tx, err := db.BeginTx(ctx, opts)
		logErr(fmt.Sprintf("begin %+v", *opts), err)
		if err == nil {
			logErr("rollback", tx.Rollback())
		}
	}

	rows, err := db.QueryContext(ctx, `SELECT id, name, price, qty, data, created, flag, v, NULL AS empty FROM items ORDER BY id`)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatalf("column types: %v", err)
	}
	for _, ct := range types {
		nullable, hasNullable := ct.Nullable()
		length, hasLength := ct.Length()
		prec, scale, hasDecimal := ct.DecimalSize()
		logf("column %s: type %q, nullable %v %v, scan %v, length %d %v, decimal %d %d %v",
			ct.Name(), ct.DatabaseTypeName(), nullable, hasNullable, ct.ScanType(), length, hasLength, prec, scale, hasDecimal)
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan: %v", err)
		}
		line := "row:"
		for _, v := range vals {
			line += fmt.Sprintf(" %T(%v)", v, v)
		}
		logf("%s", line)
	}
	logErr("rows err", rows.Err())
	logf("next result set: %v", rows.NextResultSet())
	logErr("rows close", rows.Close())

	// NextResultSet before the end of the rows: there is no next one.
	rows, err = db.QueryContext(ctx, `SELECT id FROM items ORDER BY id`)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	logf("first row: %v", rows.Next())
	logf("next result set early: %v, then row: %v", rows.NextResultSet(), rows.Next())
	logErr("rows err", rows.Err())
	logErr("rows close", rows.Close())

	var (
		name  string
		price sql.NullFloat64
		qty   sql.NullInt64
		data  []byte
	)
	err = db.QueryRowContext(ctx, `SELECT name, price, qty, data FROM items WHERE name = ?`, "pear").Scan(&name, &price, &qty, &data)
	logf("pear: %v %q %+v %+v %v", err, name, price, qty, data)
	err = db.QueryRowContext(ctx, `SELECT name FROM items WHERE id = ?`, 999).Scan(&name)
	logErr("missing", err)

	sel, err := db.PrepareContext(ctx, `SELECT count(*), sum(qty) FROM items WHERE price > ?`)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	var n int
	var sum sql.NullInt64
	err = sel.QueryRowContext(ctx, 1.0).Scan(&n, &sum)
	logf("prepared select: %v %d %+v", err, n, sum)
	logErr("stmt close", sel.Close())

	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("conn: %v", err)
	}
	limit, err := sqlite.Limit(c, 0, -1) // SQLITE_LIMIT_LENGTH, read only
	logf("limit through Raw: %d %v", limit, err)
	logErr("conn close", c.Close())
	return out
}

// openWith opens a private database named after t through wrap(connector).
func openWith(t *testing.T, wrap func(driver.Connector) driver.Connector) *sql.DB {
	t.Helper()
	dsn := memDSN(t)
	keepAlive(t, dsn)
	db := sql.OpenDB(wrap(connector(t, dsn)))
	t.Cleanup(func() { db.Close() })
	return db
}

// TestInvisible runs the same workout on modernc.org/sqlite bare and
// wrapped, with no plan and with a plan that names every point but never
// fires, and wants the same results from each.
func TestInvisible(t *testing.T) {
	bare := func(c driver.Connector) driver.Connector { return c }
	var want []string
	t.Run("bare", func(t *testing.T) {
		want = transcript(t, openWith(t, bare))
	})
	if len(want) == 0 {
		t.Fatal("no transcript")
	}
	tests := []struct {
		name string
		plan string
	}{
		{name: "disabled"},
		{name: "armed-never-fires", plan: "sql.*=error(never)[label.tenant=nobody]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := chaostest.New(t)
			if tt.plan != "" {
				chaostest.Enable(t, e, tt.plan)
				if !e.Point("sql.rows").Armed() {
					t.Fatal("sql.rows not armed")
				}
			}
			got := transcript(t, openWith(t, func(c driver.Connector) driver.Connector { return chaossql.Wrap(c, e) }))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("wrapped differs from bare (-bare +wrapped):\n%s", diff)
			}
			for _, ps := range e.Stats().Points {
				if ps.Fired != 0 {
					t.Errorf("%s fired %d times", ps.Point, ps.Fired)
				}
			}
		})
	}
}

// TestInvisibleMinimalDriver is TestInvisible for a driver with none of the
// optional interfaces: the wrapper must fall back as database/sql does.
// A second driver has the deprecated Execer and Queryer as well.
func TestInvisibleMinimalDriver(t *testing.T) {
	drivers := []struct {
		name string
		wrap func(driver.Connector) driver.Connector
	}{
		{"minimal", minimal},
		{"legacy", legacy},
	}
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			var want []string
			t.Run("bare", func(t *testing.T) {
				want = transcript(t, openWith(t, d.wrap))
			})
			if len(want) == 0 {
				t.Fatal("no transcript")
			}
			for _, plan := range []string{"", "sql.*=0%error(never)"} {
				t.Run(fmt.Sprintf("plan=%q", plan), func(t *testing.T) {
					e := chaostest.New(t)
					if plan != "" {
						chaostest.Enable(t, e, plan)
					}
					got := transcript(t, openWith(t, func(c driver.Connector) driver.Connector { return chaossql.Wrap(d.wrap(c), e) }))
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("wrapped differs from bare (-bare +wrapped):\n%s", diff)
					}
				})
			}
		})
	}
}

// registerOnce registers a wrapped driver as "sqlite+chaos-test".
var registerOnce = sync.OnceFunc(func() {
	sql.Register("sqlite+chaos-test", chaossql.WrapDriver(&sqlite.Driver{}, chaos.New()))
})

// TestWrapDriverInvisible runs the workout through sql.Open with a wrapped
// driver, by way of WrapDriver's OpenConnector, and through Open.
func TestWrapDriverInvisible(t *testing.T) {
	var want []string
	t.Run("bare", func(t *testing.T) {
		want = transcript(t, openWith(t, func(c driver.Connector) driver.Connector { return c }))
	})
	e := chaostest.New(t)
	t.Run("register", func(t *testing.T) {
		registerOnce() // sql.Register panics the second time, as with -count=2
		dsn := memDSN(t)
		keepAlive(t, dsn)
		db, err := sql.Open("sqlite+chaos-test", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if diff := cmp.Diff(want, transcript(t, db)); diff != "" {
			t.Errorf("wrapped differs from bare (-bare +wrapped):\n%s", diff)
		}
	})
	t.Run("open", func(t *testing.T) {
		dsn := memDSN(t)
		keepAlive(t, dsn)
		db, err := chaossql.Open("sqlite", dsn, e)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if diff := cmp.Diff(want, transcript(t, db)); diff != "" {
			t.Errorf("wrapped differs from bare (-bare +wrapped):\n%s", diff)
		}
	})
	if _, err := chaossql.Open("no-such-driver", "", e); err == nil {
		t.Error("Open with an unknown driver succeeded")
	}
}
