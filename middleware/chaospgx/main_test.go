package chaospgx_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/testservers"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testservers.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var bg = context.Background()

var dbSeq atomic.Int64

// newDatabase creates a database of the test's own in the shared cluster
// and returns its DSN.
func newDatabase(t testing.TB) string {
	t.Helper()
	dsn := testservers.SharedPostgres(t)
	admin, err := pgx.Connect(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(bg)
	name := fmt.Sprintf("t%d", dbSeq.Add(1))
	if _, err := admin.Exec(bg, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://postgres@%s:%d/%s?sslmode=disable", cfg.Host, cfg.Port, name)
}

// newPool opens a pool on a new database of the test's own, closed when
// the test ends, with the table items (id int primary key, name text).
func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(bg, newDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(bg, "CREATE TABLE items (id int PRIMARY KEY, name text)"); err != nil {
		t.Fatal(err)
	}
	return pool
}

// newConn opens a connection on a new database of the test's own, closed
// when the test ends, with the table items.
func newConn(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(bg, newDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(bg) })
	if _, err := conn.Exec(bg, "CREATE TABLE items (id int PRIMARY KEY, name text)"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// count returns the number of rows of items, read through q.
func count(t testing.TB, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) int {
	t.Helper()
	var n int
	if err := q.QueryRow(bg, "SELECT count(*) FROM items").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// engine returns a deterministic engine with plan applied.
func engine(t testing.TB, plan string) *chaos.Engine {
	t.Helper()
	e := chaos.New(chaos.WithSeed(1))
	if plan != "" {
		if err := e.Apply(chaos.MustParsePlan(plan)); err != nil {
			t.Fatal(err)
		}
	}
	return e
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
