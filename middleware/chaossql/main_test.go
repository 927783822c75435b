package chaossql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
	"modernc.org/sqlite"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// dsns holds the DSN of each test, so that a test gets a database of its
// own even when run again with -count, after a panic fault left one of its
// connections open.
var (
	dsns   sync.Map // testing.TB → string
	dsnSeq atomic.Int64
)

// memDSN returns the DSN of an in-memory database private to t.
func memDSN(t testing.TB) string {
	if dsn, ok := dsns.Load(t); ok {
		return dsn.(string)
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())
	dsn := fmt.Sprintf("file:%s_%d?mode=memory&cache=shared", name, dsnSeq.Add(1))
	dsns.Store(t, dsn)
	t.Cleanup(func() { dsns.Delete(t) })
	return dsn
}

// keepAlive opens a bare connection to dsn for the rest of the test, so
// that the in-memory database outlives the connections a test's faults
// close, and returns it to look at the data from outside the wrapper.
func keepAlive(t testing.TB, dsn string) *sql.Conn {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		db.Close()
	})
	return c
}

// connector returns modernc.org/sqlite's connector for dsn.
func connector(t testing.TB, dsn string) driver.Connector {
	t.Helper()
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openWrapped opens a private in-memory database through a wrapper on e,
// and returns it with a bare connection to the same database.
func openWrapped(t testing.TB, e *chaos.Engine, opts ...chaossql.Option) (*sql.DB, *sql.Conn) {
	t.Helper()
	dsn := memDSN(t)
	keeper := keepAlive(t, dsn)
	return openDSN(t, dsn, e, opts...), keeper
}

// openDSN opens dsn through a wrapper on e, to be closed when the test
// ends; in a synctest bubble, before the bubble ends.
func openDSN(t testing.TB, dsn string, e *chaos.Engine, opts ...chaossql.Option) *sql.DB {
	t.Helper()
	db := sql.OpenDB(chaossql.Wrap(connector(t, dsn), e, opts...))
	t.Cleanup(func() { db.Close() })
	return db
}

// mustExec runs statements on c, failing the test on an error.
func mustExec(t testing.TB, c interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := c.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// count returns the number of rows of table, read through c.
func count(t testing.TB, c *sql.Conn, table string) int {
	t.Helper()
	var n int
	if err := c.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// pointStats returns the counters of the point called name.
func pointStats(e *chaos.Engine, name string) chaos.PointStats {
	for _, ps := range e.Stats().Points {
		if ps.Point == name {
			return ps
		}
	}
	return chaos.PointStats{Point: name}
}
