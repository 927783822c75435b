package probes_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/probes"

	_ "modernc.org/sqlite"
)

// openDB opens a shared in-memory SQLite database named for the test and
// suffix, with an orders table of three rows, and closes it when the test
// ends.
func openDB(t testing.TB, suffix string) *sql.DB {
	t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + suffix
	db, err := sql.Open("sqlite", "file:"+name+"?mode=memory&cache=shared")
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	for _, stmt := range []string{
		`CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL)`,
		`INSERT INTO orders (status) VALUES ('paid'), ('paid'), ('pending')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return db
}

// atLeast returns an expect func that wants one integer row of at least n.
func atLeast(n int) func(*sql.Rows) error {
	return func(rows *sql.Rows) error {
		if !rows.Next() {
			return errors.New("no row")
		}
		var got int
		if err := rows.Scan(&got); err != nil {
			return fmt.Errorf("scan count: %w", err)
		}
		if got < n {
			return fmt.Errorf("count %d is below %d", got, n)
		}
		return nil
	}
}

func TestSQL(t *testing.T) {
	db := openDB(t, "")
	closedDB := openDB(t, "_closed")
	closedDB.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name       string
		db         *sql.DB
		query      string
		opts       []probes.SQLOption
		ctx        context.Context
		wantOK     bool
		wantPrefix string // of Observed
		wantSuffix string // of Observed
		wantErr    string // prefix of Err
	}{
		{name: "rows", db: db, query: `SELECT id FROM orders`, wantOK: true, wantPrefix: "3 rows in "},
		{name: "one row", db: db, query: `SELECT count(*) FROM orders`, wantOK: true, wantPrefix: "1 row in "},
		{name: "no rows", db: db, query: `SELECT id FROM orders WHERE 0`, wantOK: true, wantPrefix: "0 rows in "},
		{name: "args", db: db, query: `SELECT id FROM orders WHERE status = ?`,
			opts: []probes.SQLOption{probes.WithArgs("paid")}, wantOK: true, wantPrefix: "2 rows in "},
		{name: "expect passes", db: db, query: `SELECT count(*) FROM orders`,
			opts: []probes.SQLOption{probes.WithExpect(atLeast(3))}, wantOK: true, wantPrefix: "rows as expected in "},
		{name: "expect fails", db: db, query: `SELECT count(*) FROM orders WHERE status = ?`,
			opts:       []probes.SQLOption{probes.WithArgs("pending"), probes.WithExpect(atLeast(2))},
			wantPrefix: "rows failed after ", wantErr: "probes: unexpected rows: count 1 is below 2"},
		{name: "expect panics", db: db, query: `SELECT 1`,
			opts:       []probes.SQLOption{probes.WithExpect(func(*sql.Rows) error { panic("bad scan") })},
			wantPrefix: "rows failed after ", wantErr: "probes: unexpected rows: probes: panic: bad scan"},
		{name: "too slow", db: db, query: `SELECT id FROM orders`,
			opts:       []probes.SQLOption{probes.WithMaxLatency(time.Nanosecond), nil},
			wantPrefix: "3 rows in ", wantSuffix: " (want within 1ns)", wantErr: "probes: took "},
		{name: "fast enough", db: db, query: `SELECT id FROM orders`,
			opts:   []probes.SQLOption{probes.WithMaxLatency(time.Hour), probes.WithTimeout(-1)},
			wantOK: true, wantPrefix: "3 rows in ", wantSuffix: " (want within 1h0m0s)"},
		{name: "bad query", db: db, query: `SELECT * FROM nope`,
			wantPrefix: "query failed after ", wantErr: "probes: run query: SQL logic error: no such table: nope"},
		{name: "closed db", db: closedDB, query: `SELECT 1`,
			wantPrefix: "query failed after ", wantErr: "probes: run query: sql: database is closed"},
		{name: "nil db", query: `SELECT 1`, wantPrefix: "not checked", wantErr: "probes: nil *sql.DB"},
		{name: "ctx cancelled", db: db, query: `SELECT 1`, ctx: cancelled,
			wantPrefix: "not checked", wantErr: "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := probes.SQL("orders", tt.db, tt.query, tt.opts...)
			if p.Name() != "orders" {
				t.Errorf("Name() = %q, want %q", p.Name(), "orders")
			}
			checkLoose(t, p.Check(ctxOr(t, tt.ctx)), "orders", tt.wantOK, tt.wantPrefix, tt.wantSuffix, tt.wantErr)
		})
	}
}

// TestSQLTimeout checks that the probe's timeout cancels a query that runs
// too long. The recursive query would count to a billion.
func TestSQLTimeout(t *testing.T) {
	db := openDB(t, "")
	const slow = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000000) SELECT count(*) FROM n`
	got := probes.SQL("slow", db, slow, probes.WithTimeout(20*time.Millisecond)).Check(t.Context())
	if got.OK || got.Err == "" {
		t.Fatalf("Check() = %+v, want a failure", got)
	}
	if got.Duration > 10*time.Second {
		t.Errorf("Duration = %v: the timeout did not stop the query", got.Duration)
	}
}
