//go:build linux

package chaossql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
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

// pgStart makes a throwaway PostgreSQL cluster with initdb in a temporary
// directory, starts it on 127.0.0.1 and a free port, and stops and
// removes it when t ends.
func pgStart(t *testing.T) pgAdmin {
	t.Helper()
	bin, err := pgBinDir()
	if err != nil {
		msg := fmt.Sprintf("no PostgreSQL for this test: %v; install it with `apt-get install postgresql` (.ci/services.sh does)", err)
		if os.Getenv("FAULTLINE_REQUIRE_SERVERS") == "1" {
			t.Fatal(msg + " (FAULTLINE_REQUIRE_SERVERS=1)")
		}
		t.Skip(msg)
	}
	dir, err := os.MkdirTemp("", "faultline-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// PostgreSQL refuses to run as root: run it as the postgres user, as
	// `su postgres` would, without a shell to quote for.
	var attr *syscall.SysProcAttr
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, and no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = attr
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-k %s -h 127.0.0.1 -p %d -c fsync=off -c synchronous_commit=off -c full_page_writes=off", dir, port)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("%v\n%s", err, log)
	}
	t.Cleanup(func() {
		if err := run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop"); err != nil {
			t.Error(err)
		}
	})
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return pgAdmin{DB: db, dsn: dsn}
}

// pgBinDir returns the directory of initdb and pg_ctl: from PATH, or the
// newest Debian /usr/lib/postgresql/N/bin.
func pgBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return "", errors.New("PostgreSQL (initdb, pg_ctl) is not installed")
	}
	version := func(p string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return v
	}
	sort.Slice(bins, func(i, j int) bool { return version(bins[i]) < version(bins[j]) })
	return filepath.Dir(bins[len(bins)-1]), nil
}
