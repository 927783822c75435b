//go:build linux

package chaossql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/internal/testservers"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// TestPostgres runs the wrapper on PostgreSQL through pgx/stdlib, on a
// throwaway cluster that the test makes with initdb and stops at its end.
// Where PostgreSQL is not installed it skips, saying how to install it, or
// fails when FAULTLINE_REQUIRE_SERVERS=1 (as in CI).
func TestPostgres(t *testing.T) {
	admin := pgStart(t)
	n := 0
	// open wraps pgx/stdlib's connector for a new database of the subtest's
	// own, with the table items, and returns the wrapped *sql.DB and a bare
	// one on the same database.
	open := func(t *testing.T, e *chaos.Engine) (*sql.DB, *sql.DB) {
		t.Helper()
		n++
		name := fmt.Sprintf("chaossql_%d", n)
		if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		cfg, err := pgx.ParseConfig(admin.dsn + "&dbname=" + name)
		if err != nil {
			t.Fatal(err)
		}
		bare := stdlib.OpenDB(*cfg)
		t.Cleanup(func() { bare.Close() })
		mustExec(t, bare, "CREATE TABLE items (id int PRIMARY KEY, name text)")
		db := sql.OpenDB(chaossql.Wrap(stdlib.GetConnector(*cfg), e))
		t.Cleanup(func() { db.Close() })
		return db, bare
	}
	rows := func(t *testing.T, db *sql.DB) int {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM items").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("exec", func(t *testing.T) {
		e := armed(t, "sql.exec=1*error(disk full)[label.stmt=insert]")
		db, bare := open(t, e)
		if _, err := db.Exec("UPDATE items SET name = 'x'"); err != nil {
			t.Fatalf("UPDATE: %v", err)
		}
		if _, err := db.Exec("INSERT INTO items VALUES ($1, $2)", 1, "one"); !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("INSERT: %v, want an injected error", err)
		}
		if n := rows(t, bare); n != 0 {
			t.Fatalf("%d rows after the failed INSERT", n)
		}
		if _, err := db.Exec("INSERT INTO items VALUES ($1, $2)", 1, "one"); err != nil {
			t.Fatalf("second INSERT: %v", err)
		}
		if n := rows(t, bare); n != 1 {
			t.Fatalf("%d rows, want 1", n)
		}
	})

	t.Run("query", func(t *testing.T) {
		e := armed(t, "sql.query=1*error[label.stmt=insert]")
		db, bare := open(t, e)
		var id int
		err := db.QueryRow("INSERT INTO items VALUES (1, 'one') RETURNING id").Scan(&id)
		if !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("INSERT … RETURNING: %v, want an injected error", err)
		}
		if err := db.QueryRow("INSERT INTO items VALUES (1, 'one') RETURNING id").Scan(&id); err != nil || id != 1 {
			t.Fatalf("second INSERT … RETURNING: %d, %v", id, err)
		}
		var name string
		if err := db.QueryRow("SELECT name FROM items WHERE id = $1", 1).Scan(&name); err != nil || name != "one" {
			t.Fatalf("SELECT: %q, %v", name, err)
		}
		if n := rows(t, bare); n != 1 {
			t.Fatalf("%d rows, want 1", n)
		}
	})

	t.Run("commit", func(t *testing.T) {
		e := armed(t, "sql.commit=1*error(replica lost)")
		db, bare := open(t, e)
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO items VALUES (1, 'one'), (2, 'two')"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("Commit: %v, want an injected error", err)
		}
		if n := rows(t, bare); n != 0 {
			t.Fatalf("%d rows of a failed commit visible", n)
		}
		// The connection went back clean: the next transaction commits.
		tx, err = db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO items VALUES (1, 'one')"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := rows(t, bare); n != 1 {
			t.Fatalf("%d rows, want 1", n)
		}
	})

	t.Run("badconn retried", func(t *testing.T) {
		e := armed(t, "sql.query=1*badconn")
		db, _ := open(t, e)
		var one int
		if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("SELECT 1 after a bad connection: %d, %v; database/sql should retry", one, err)
		}
		if ps := pointStats(e, "sql.query"); ps.Fired != 1 {
			t.Fatalf("sql.query fired %d times, want 1", ps.Fired)
		}
	})
}

// pgAdmin is a bare connection to the throwaway cluster's postgres
// database, with its DSN.
type pgAdmin struct {
	*sql.DB
	dsn string
}

// pgStart makes a throwaway PostgreSQL cluster, stopped and removed when t
// ends, and returns a bare connection to its postgres database.
func pgStart(t *testing.T) pgAdmin {
	t.Helper()
	dsn := testservers.Postgres(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return pgAdmin{DB: db, dsn: dsn}
}
