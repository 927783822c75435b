package chaossql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// The benchmarks read one row by primary key from an in-memory SQLite
// table of 100 rows, bare and through the wrapper, in three ways:
// stmt runs a prepared statement, stmt-parallel does so from GOMAXPROCS
// goroutines, and db runs db.QueryRow without preparing.

const benchQuerySQL = "SELECT id, name FROM items WHERE id = ?"

type wrapFunc func(driver.Connector) driver.Connector

func bare(c driver.Connector) driver.Connector { return c }

func wrapWith(e *chaos.Engine) wrapFunc {
	return func(c driver.Connector) driver.Connector { return chaossql.Wrap(c, e) }
}

// armed returns an engine with plan applied.
func armed(tb testing.TB, plan string) *chaos.Engine {
	e := chaos.New(chaos.WithSeed(1))
	if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
		tb.Fatal(err)
	}
	return e
}

// benchDB opens a database of 100 items through wrap.
func benchDB(tb testing.TB, wrap wrapFunc) (*sql.DB, *sql.Stmt) {
	tb.Helper()
	dsn := memDSN(tb)
	keeper := keepAlive(tb, dsn)
	mustExec(tb, keeper, "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)")
	for i := range 100 {
		if _, err := keeper.ExecContext(context.Background(), "INSERT OR REPLACE INTO items VALUES (?, ?)", i, fmt.Sprint("item ", i)); err != nil {
			tb.Fatal(err)
		}
	}
	db := sql.OpenDB(wrap(connector(tb, dsn)))
	db.SetMaxIdleConns(8)
	tb.Cleanup(func() { db.Close() })
	stmt, err := db.Prepare(benchQuerySQL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stmt.Close() })
	return db, stmt
}

// readItem reads item i with row, which is stmt.QueryRowContext or
// db.QueryRowContext bound to its SQL. An injected error is expected in
// the armed benchmarks; any other fails.
func readItem(tb testing.TB, row *sql.Row) {
	var (
		id   int64
		name string
	)
	if err := row.Scan(&id, &name); err != nil && !errors.Is(err, faults.ErrInjected) {
		tb.Fatal(err)
	}
}

// benchQuery reads rows through a prepared statement, serially and in
// parallel, and through the *sql.DB, with the driver wrap returns.
func benchQuery(b *testing.B, wrap wrapFunc) {
	ctx := context.Background()
	stmtRow := func(_ *sql.DB, stmt *sql.Stmt, i int) *sql.Row { return stmt.QueryRowContext(ctx, i%100) }
	dbRow := func(db *sql.DB, _ *sql.Stmt, i int) *sql.Row { return db.QueryRowContext(ctx, benchQuerySQL, i%100) }
	for _, bc := range []struct {
		name     string
		parallel bool
		row      func(db *sql.DB, stmt *sql.Stmt, i int) *sql.Row
	}{
		{"stmt", false, stmtRow},
		{"stmt-parallel", true, stmtRow},
		{"db", false, dbRow},
	} {
		b.Run(bc.name, func(b *testing.B) {
			db, stmt := benchDB(b, wrap)
			b.ReportAllocs()
			if !bc.parallel {
				i := 0
				for b.Loop() {
					readItem(b, bc.row(db, stmt, i))
					i++
				}
				return
			}
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					readItem(b, bc.row(db, stmt, i))
					i++
				}
			})
		})
	}
}

// BenchmarkQueryBare is the baseline: modernc.org/sqlite unwrapped.
func BenchmarkQueryBare(b *testing.B) { benchQuery(b, bare) }

// BenchmarkQueryWrappedDisabled is the wrapper with no plan.
func BenchmarkQueryWrappedDisabled(b *testing.B) { benchQuery(b, wrapWith(chaos.New())) }

// BenchmarkQueryWrappedArmed1pct is the wrapper with a rule that fails 1%
// of queries: each query evaluates sql.query with its stmt label.
func BenchmarkQueryWrappedArmed1pct(b *testing.B) {
	benchQuery(b, wrapWith(armed(b, "sql.query=1%error(bench)")))
}

// BenchmarkQueryWrappedArmedAll1pct fails 1% of the calls at every point:
// result sets are wrapped too, and each Next evaluates sql.rows.
func BenchmarkQueryWrappedArmedAll1pct(b *testing.B) {
	benchQuery(b, wrapWith(armed(b, "sql.*=1%error(bench)")))
}

// TestDisabledAllocs holds the wrapper without a plan to the allocations of
// the bare driver, call for call.
func TestDisabledAllocs(t *testing.T) {
	ctx := context.Background()
	type op struct {
		name string
		run  func(tb testing.TB, db *sql.DB, stmt *sql.Stmt)
	}
	ops := []op{
		{"stmt.QueryRow", func(tb testing.TB, _ *sql.DB, stmt *sql.Stmt) { readItem(tb, stmt.QueryRowContext(ctx, 7)) }},
		{"db.QueryRow", func(tb testing.TB, db *sql.DB, _ *sql.Stmt) { readItem(tb, db.QueryRowContext(ctx, benchQuerySQL, 7)) }},
		{"db.Exec", func(tb testing.TB, db *sql.DB, _ *sql.Stmt) {
			if _, err := db.ExecContext(ctx, "UPDATE items SET name = name WHERE id = ?", 7); err != nil {
				tb.Fatal(err)
			}
		}},
		{"tx", func(tb testing.TB, db *sql.DB, _ *sql.Stmt) {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				tb.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				tb.Fatal(err)
			}
			// database/sql watches each transaction's context from a
			// goroutine, which ends once Commit cancels it. Let it end, so
			// that the next transaction's goroutine reuses it rather than
			// allocating, whatever the scheduler would have done.
			runtime.Gosched()
		}},
	}
	// The databases are opened and warmed up before anything is counted, so
	// that the runtime's free lists (database/sql starts a goroutine per
	// transaction) are in the same state for each.
	setups := []struct {
		name string
		wrap wrapFunc
	}{
		{"bare", bare},
		{"disabled", wrapWith(chaos.New())},
		{"armed-query", wrapWith(armed(t, "sql.query=0%error"))}, // deciding allocates nothing either
	}
	type db struct {
		db   *sql.DB
		stmt *sql.Stmt
	}
	dbs := make([]db, len(setups))
	for i, s := range setups {
		dbs[i].db, dbs[i].stmt = benchDB(t, s.wrap)
		for _, o := range ops {
			o.run(t, dbs[i].db, dbs[i].stmt)
		}
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			counts := make([]float64, len(dbs))
			for range 2 { // the first round warms the runtime up
				for i, d := range dbs {
					counts[i] = testing.AllocsPerRun(50, func() { o.run(t, d.db, d.stmt) })
				}
			}
			for i := 1; i < len(setups); i++ {
				if counts[i] != counts[0] {
					t.Errorf("%s: %v allocations per call, bare %v", setups[i].name, counts[i], counts[0])
				}
			}
			t.Logf("allocations per call: %v", counts)
		})
	}
}

// BenchmarkWrapperOverhead measures the wrapper's own cost per query, on a
// driver that does no work (see nopConnector), bare, without a plan, and
// with a rule that fails 1% of queries.
func BenchmarkWrapperOverhead(b *testing.B) {
	setups := []struct {
		name string
		wrap wrapFunc
	}{
		{"bare", bare},
		{"disabled", wrapWith(chaos.New())},
		{"armed-1pct", wrapWith(armed(b, "sql.query=1%error(bench)"))},
	}
	for _, s := range setups {
		db := sql.OpenDB(s.wrap(nopConnector{}))
		stmt, err := db.Prepare("SELECT x FROM t WHERE id = ?")
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			var x int64
			for b.Loop() {
				if err := stmt.QueryRowContext(ctx, 1).Scan(&x); err != nil && !errors.Is(err, faults.ErrInjected) {
					b.Fatal(err)
				}
			}
		})
		b.Run(s.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var x int64
				for pb.Next() {
					if err := stmt.QueryRowContext(ctx, 1).Scan(&x); err != nil && !errors.Is(err, faults.ErrInjected) {
						b.Error(err)
						return
					}
				}
			})
		})
		stmt.Close()
		db.Close()
	}
}

// BenchmarkClassify measures Classify, which runs on every statement at a
// point a rule names (once per prepared statement), on short statements and
// on the longest scan it makes: a statement that starts after 16 KiB of
// comment.
func BenchmarkClassify(b *testing.B) {
	for _, bc := range []struct{ name, query string }{
		{"select", "SELECT x FROM t WHERE id = ?"},
		{"insert-returning", "INSERT INTO t(x) VALUES (?) RETURNING id"},
		{"with", "/* report */ WITH RECURSIVE v(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM v WHERE n < 10) INSERT INTO t SELECT n FROM v"},
		{"limit", "/*" + strings.Repeat(" ", 16<<10) + "*/ SELECT 1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				chaossql.Classify(bc.query)
			}
		})
	}
}
