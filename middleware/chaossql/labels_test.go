package chaossql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"testing"

	"modernc.org/sqlite"
	"pgregory.net/rapid"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// TestStmtLabel checks that rules match the statement kind, on statements
// run directly and prepared.
func TestStmtLabel(t *testing.T) {
	e := chaostest.New(t)
	db, keeper := openWrapped(t, e)
	mustExec(t, keeper, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
	chaostest.Enable(t, e, "sql.exec=error(no writes)[label.stmt=insert];sql.query=error(no reads)[label.stmt=select]")
	tests := []struct {
		stmt    string
		args    []any
		prepare bool
		fails   bool
	}{
		{stmt: "INSERT INTO t VALUES (2)", fails: true},
		{stmt: "  /* bulk */ insert into t values (?)", args: []any{3}, prepare: true, fails: true},
		{stmt: "WITH v(x) AS (SELECT 4) INSERT INTO t SELECT x FROM v", fails: true},
		{stmt: "UPDATE t SET x = x + 1"},
		{stmt: "DELETE FROM t WHERE x > 100", prepare: true},
		{stmt: "CREATE TABLE u (y)"},
	}
	for _, tt := range tests {
		t.Run(tt.stmt, func(t *testing.T) {
			var err error
			if tt.prepare {
				s, perr := db.Prepare(tt.stmt)
				if perr != nil {
					t.Fatal(perr)
				}
				defer s.Close()
				_, err = s.Exec(tt.args...)
			} else {
				_, err = db.Exec(tt.stmt, tt.args...)
			}
			if got := errors.Is(err, faults.ErrInjected); got != tt.fails {
				t.Errorf("Exec: %v; injected %v, want %v", err, got, tt.fails)
			}
		})
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("SELECT: %v, want the injected error", err)
	}
	if err := db.QueryRow("PRAGMA user_version").Scan(&n); err != nil {
		t.Errorf("PRAGMA: %v, want it to pass", err)
	}
}

// TestInsertReturning checks that an INSERT … RETURNING, which gorm sends
// through Query and so arrives on sql.query, is an insert: a rule on sql.*
// or sql.query for the insert class fails it before it reaches SQLite,
// while a rule on sql.exec, the method point, does not see it.
func TestInsertReturning(t *testing.T) {
	const insert = "INSERT INTO t(x) VALUES (?) RETURNING id"
	tests := []struct {
		plan    string
		prepare bool
		fails   bool
	}{
		{plan: "sql.*=error(no inserts)[label.stmt=insert]", fails: true},
		{plan: "sql.*=error(no inserts)[label.stmt=insert]", prepare: true, fails: true},
		{plan: "sql.query=error(no inserts)[label.stmt=insert]", fails: true},
		{plan: "sql.query=error(no inserts)[label.stmt=insert]", prepare: true, fails: true},
		{plan: "sql.exec=error(no inserts)[label.stmt=insert]"},
		{plan: "sql.*=error(no reads)[label.stmt=select]"},
	}
	for _, tt := range tests {
		name := tt.plan
		if tt.prepare {
			name += "/prepared"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := chaostest.New(t)
			db, keeper := openWrapped(t, e)
			mustExec(t, keeper, "CREATE TABLE t (id INTEGER PRIMARY KEY, x)")
			// Not chaostest.Enable: its check that each rule named an
			// evaluated point would fail the sql.exec case, which is the
			// point of that case.
			if err := e.Apply(chaos.MustParsePlan(tt.plan)); err != nil {
				t.Fatal(err)
			}
			var (
				rows *sql.Rows
				err  error
			)
			if tt.prepare {
				var s *sql.Stmt
				if s, err = db.PrepareContext(ctx, insert); err == nil {
					defer s.Close()
					rows, err = s.QueryContext(ctx, 1)
				}
			} else {
				rows, err = db.QueryContext(ctx, insert, 1)
			}
			var id int64
			if err == nil {
				if rows.Next() {
					err = rows.Scan(&id)
				}
				err = errors.Join(err, rows.Err(), rows.Close())
			}
			if got := errors.Is(err, faults.ErrInjected); got != tt.fails {
				t.Fatalf("QueryContext(%q): %v; injected %v, want %v", insert, err, got, tt.fails)
			}
			want := 1
			if tt.fails {
				want = 0
			} else if id != 1 {
				t.Errorf("RETURNING id = %d, want 1", id)
			}
			if n := count(t, keeper, "t"); n != want {
				t.Errorf("%d rows in t, want %d", n, want)
			}
			if ps := pointStats(e, "sql.exec"); ps.Evaluations != 0 {
				t.Errorf("sql.exec evaluated %d calls, want none: the insert came through Query", ps.Evaluations)
			}
		})
	}
}

// TestStmtClasses checks that rules select the classes beyond the four
// DML ones, on real SQLite.
func TestStmtClasses(t *testing.T) {
	e := chaostest.New(t)
	db, keeper := openWrapped(t, e)
	mustExec(t, keeper, "CREATE TABLE t (id INTEGER PRIMARY KEY, x UNIQUE)")
	chaostest.Enable(t, e, "sql.exec=error(no ddl)[label.stmt=ddl];sql.*=error(no upsert)[label.stmt=insert]")
	tests := []struct {
		stmt  string
		fails bool
	}{
		{stmt: "CREATE TABLE u (y)", fails: true},
		{stmt: "  -- migrate\n  ALTER TABLE t ADD COLUMN y", fails: true},
		{stmt: "INSERT INTO t(x) VALUES (1) ON CONFLICT (x) DO UPDATE SET x = excluded.x", fails: true},
		{stmt: "WITH v(x) AS (SELECT 2) REPLACE INTO t(x) SELECT x FROM v", fails: true},
		{stmt: "UPDATE t SET x = x"},
		{stmt: "PRAGMA user_version = 3"},
	}
	for _, tt := range tests {
		t.Run(tt.stmt, func(t *testing.T) {
			_, err := db.Exec(tt.stmt)
			if got := errors.Is(err, faults.ErrInjected); got != tt.fails {
				t.Errorf("Exec: %v; injected %v, want %v", err, got, tt.fails)
			}
		})
	}
}

// TestContextLabels checks that rules match labels the call's context
// carries.
func TestContextLabels(t *testing.T) {
	e := chaostest.New(t)
	db, _ := openWrapped(t, e)
	chaostest.Enable(t, e, "sql.query=error(tenant down)[label.tenant=acme]")
	for _, tenant := range []string{"acme", "globex"} {
		ctx := chaos.WithLabels(context.Background(), "tenant", tenant)
		var n int
		err := db.QueryRowContext(ctx, "SELECT 1").Scan(&n)
		if got, want := errors.Is(err, faults.ErrInjected), tenant == "acme"; got != want {
			t.Errorf("tenant %s: %v; injected %v, want %v", tenant, err, got, want)
		}
	}
}

// TestPrefix checks that WithPrefix keeps two databases' points apart.
func TestPrefix(t *testing.T) {
	e := chaostest.New(t)
	orders, _ := openWrapped(t, e, chaossql.WithPrefix("sql.orders."))
	users := openDSN(t, memDSN(t), e)
	chaostest.Enable(t, e, "sql.orders.exec=error(orders down)")
	if _, err := orders.Exec("SELECT 1"); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("orders: %v, want the injected error", err)
	}
	if _, err := users.Exec("SELECT 1"); err != nil {
		t.Errorf("users: %v, want no fault", err)
	}
	if ps := pointStats(e, "sql.orders.exec"); ps.Fired != 1 {
		t.Errorf("sql.orders.exec fired %d times, want 1", ps.Fired)
	}
	if ps := pointStats(e, "sql.exec"); ps.Fired != 0 || ps.Armed {
		t.Errorf("sql.exec: %+v, want it untouched", ps)
	}
}

// TestBoundedPoints runs many distinct statements and checks that the
// engine still holds only the nine points.
func TestBoundedPoints(t *testing.T) {
	e := chaostest.New(t)
	db, keeper := openWrapped(t, e)
	mustExec(t, keeper, "CREATE TABLE t (x)")
	chaostest.Enable(t, e, "sql.*=0%error") // armed: labels are worked out
	for i := range 40 {
		if _, err := db.Exec(fmt.Sprintf("INSERT INTO t VALUES (%d)", i)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(fmt.Sprintf("SELECT count(*) FROM t WHERE x <> %d", i)).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, ps := range e.Stats().Points {
		names = append(names, ps.Point)
	}
	want := []string{"sql.begin", "sql.commit", "sql.connect", "sql.exec", "sql.ping", "sql.prepare", "sql.query", "sql.rollback", "sql.rows"}
	if !slices.Equal(names, want) {
		t.Errorf("points %q, want %q", names, want)
	}
}

// TestNilEngine checks that a nil engine means chaos.Default.
func TestNilEngine(t *testing.T) {
	chaossql.Wrap(connector(t, memDSN(t)), nil, chaossql.WithPrefix("chaossql-nil-engine"))
	found := false
	for _, ps := range chaos.Default().Stats().Points {
		found = found || ps.Point == "chaossql-nil-engine.query"
	}
	if !found {
		t.Error("Wrap with a nil engine made no point on chaos.Default()")
	}
}

// TestDriverOpen checks WrapDriver's Open, which sql.Open does not call for
// a DriverContext but which a caller may.
func TestDriverOpen(t *testing.T) {
	e := chaostest.New(t)
	dsn := memDSN(t)
	d := chaossql.WrapDriver(&sqlite.Driver{}, e)
	c, err := d.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(driver.Validator); !ok {
		t.Error("Open's connection hides modernc's Validator")
	}
	c.Close()
	chaostest.Enable(t, e, "sql.connect=error(refused)")
	if _, err := d.Open(dsn); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Open: %v, want the injected error", err)
	}
	// A driver with OpenConnector: WrapDriver uses it.
	dc := chaossql.WrapDriver(nopCtxDriver{}, e).(driver.DriverContext)
	if _, err := dc.OpenConnector("bad"); !errors.Is(err, errBadDSN) {
		t.Errorf("OpenConnector: %v, want the driver's error", err)
	}
	nc, err := dc.OpenConnector("good")
	if err != nil {
		t.Fatal(err)
	}
	if any(nc.Driver()) != any(dc) {
		t.Error("the connector's Driver is not the wrapped driver")
	}
	nopDB := sql.OpenDB(nc)
	defer nopDB.Close()
	if _, err := nopDB.Exec("SELECT 1"); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Exec: %v, want sql.connect's injected error", err)
	}
	// Wrap's connector reports the driver wrapped too.
	if _, ok := chaossql.Wrap(connector(t, dsn), e).Driver().(driver.DriverContext); !ok {
		t.Error("Wrap(c).Driver() is not the wrapped driver")
	}
}

// closingConnector counts its Close calls.
type closingConnector struct {
	driver.Connector
	closed *int
}

func (c closingConnector) Close() error {
	*c.closed++
	return nil
}

// TestConnectorClose checks that closing the database closes the wrapped
// connector.
func TestConnectorClose(t *testing.T) {
	closed := 0
	db := sql.OpenDB(chaossql.Wrap(closingConnector{connector(t, memDSN(t)), &closed}, chaos.New()))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if closed != 1 {
		t.Errorf("connector closed %d times, want 1", closed)
	}
}

// TestSameSeedSameFaults is a property: through database/sql, with the same
// seed and plan, the same calls see the same faults, because each call
// evaluates its points exactly once.
func TestSameSeedSameFaults(t *testing.T) {
	dsn := memDSN(t)
	keepAlive(t, dsn)
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		rate := rapid.IntRange(0, 100).Draw(rt, "percent")
		calls := rapid.IntRange(1, 8).Draw(rt, "calls")
		plan := fmt.Sprintf("sql.query=%d%%error(q);sql.rows=%d%%error(r)", rate, rate)
		run := func() []string {
			e := chaos.New(chaos.WithSeed(seed))
			if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
				rt.Fatal(err)
			}
			db := sql.OpenDB(chaossql.Wrap(connector(t, dsn), e))
			defer db.Close()
			var out []string
			for i := range calls {
				var n int
				err := db.QueryRow("SELECT ?", i).Scan(&n)
				out = append(out, fmt.Sprint(err))
			}
			return out
		}
		first, second := run(), run()
		if !slices.Equal(first, second) {
			rt.Fatalf("same seed %d, plan %q:\n%q\n%q", seed, plan, first, second)
		}
	})
}
