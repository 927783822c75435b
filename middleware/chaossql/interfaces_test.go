package chaossql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// connVariants are modernc.org/sqlite connections behind each combination
// of the two interfaces whose presence alone changes database/sql.
var connVariants = []struct {
	name       string
	wrap       func(driver.Conn) driver.Conn
	reset, val bool
}{
	{"sqlite", func(c driver.Conn) driver.Conn { return c }, true, true},
	{"plain", func(c driver.Conn) driver.Conn { return plainConn{c: c} }, false, false},
	{"resetter", func(c driver.Conn) driver.Conn { return resetterConn{plainConn{c: c}} }, true, false},
	{"validator", func(c driver.Conn) driver.Conn { return validatorConn{plainConn{c: c}} }, false, true},
	{"both", func(c driver.Conn) driver.Conn { return bothConn{plainConn{c: c}} }, true, true},
}

func TestConnInterfaces(t *testing.T) {
	e := chaos.New()
	for _, v := range connVariants {
		t.Run(v.name, func(t *testing.T) {
			dsn := memDSN(t)
			ci, err := chaossql.Wrap(funcConnector{connector(t, dsn), v.wrap}, e).Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer ci.Close()
			_, reset := ci.(driver.SessionResetter)
			_, val := ci.(driver.Validator)
			if reset != v.reset || val != v.val {
				t.Errorf("wrapped conn: SessionResetter %v, Validator %v; want %v, %v", reset, val, v.reset, v.val)
			}
			if r, ok := ci.(driver.SessionResetter); ok {
				if err := r.ResetSession(context.Background()); err != nil {
					t.Errorf("ResetSession: %v", err)
				}
			}
			if v, ok := ci.(driver.Validator); ok && !v.IsValid() {
				t.Error("IsValid: false for a good connection")
			}
			// The rest are always there, falling back as database/sql would.
			for name, ok := range map[string]bool{
				"ConnBeginTx":        is[driver.ConnBeginTx](ci),
				"ConnPrepareContext": is[driver.ConnPrepareContext](ci),
				"ExecerContext":      is[driver.ExecerContext](ci),
				"QueryerContext":     is[driver.QueryerContext](ci),
				"Pinger":             is[driver.Pinger](ci),
				"NamedValueChecker":  is[driver.NamedValueChecker](ci),
			} {
				if !ok {
					t.Errorf("wrapped conn is not a %s", name)
				}
			}
			if u, ok := ci.(interface{ Unwrap() driver.Conn }); !ok || u.Unwrap() == nil {
				t.Error("wrapped conn has no Unwrap")
			}
			if v.name == "sqlite" {
				return
			}
			// A driver without ExecerContext, QueryerContext and
			// NamedValueChecker: exactly driver.ErrSkip, which database/sql
			// compares with ==.
			ctx := context.Background()
			if _, err := ci.(driver.ExecerContext).ExecContext(ctx, "SELECT 1", nil); err != driver.ErrSkip {
				t.Errorf("ExecContext: %v, want driver.ErrSkip", err)
			}
			if _, err := ci.(driver.QueryerContext).QueryContext(ctx, "SELECT 1", nil); err != driver.ErrSkip {
				t.Errorf("QueryContext: %v, want driver.ErrSkip", err)
			}
			if err := ci.(driver.NamedValueChecker).CheckNamedValue(&driver.NamedValue{Ordinal: 1, Value: 1}); err != driver.ErrSkip {
				t.Errorf("CheckNamedValue: %v, want driver.ErrSkip", err)
			}
			if err := ci.(driver.Pinger).Ping(ctx); err != nil {
				t.Errorf("Ping: %v, want nil", err)
			}
			s, err := ci.Prepare("SELECT ?")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if is[driver.ColumnConverter](s) {
				t.Error("statement of a driver without ColumnConverter is one")
			}
			if err := s.(driver.NamedValueChecker).CheckNamedValue(&driver.NamedValue{Ordinal: 1, Value: 1}); err != driver.ErrSkip {
				t.Errorf("statement CheckNamedValue: %v, want driver.ErrSkip", err)
			}
		})
	}
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
}

// TestKeepConnOnRollback checks the reason for the connection variants:
// database/sql keeps a connection whose transaction's context was
// cancelled only if it is both a SessionResetter and a Validator.
func TestKeepConnOnRollback(t *testing.T) {
	for _, v := range connVariants {
		t.Run(v.name, func(t *testing.T) {
			dsn := memDSN(t)
			keepAlive(t, dsn)
			open := func(t *testing.T, wrap func(driver.Connector) driver.Connector) int {
				var open int
				synctest.Test(t, func(t *testing.T) {
					db := sql.OpenDB(wrap(funcConnector{connector(t, dsn), v.wrap}))
					defer db.Close()
					ctx, cancel := context.WithCancel(context.Background())
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						t.Fatal(err)
					}
					cancel()
					synctest.Wait() // database/sql rolls back in a goroutine
					if err := tx.Rollback(); !errors.Is(err, sql.ErrTxDone) {
						t.Fatalf("rollback after cancel: %v", err)
					}
					open = db.Stats().OpenConnections
				})
				return open
			}
			bare := open(t, func(c driver.Connector) driver.Connector { return c })
			wrapped := open(t, func(c driver.Connector) driver.Connector { return chaossql.Wrap(c, chaos.New()) })
			want := 0
			if v.reset && v.val {
				want = 1
			}
			if bare != want || wrapped != bare {
				t.Errorf("open connections after a cancelled transaction: bare %d, wrapped %d; want %d", bare, wrapped, want)
			}
		})
	}
}

// TestColumnConverter checks that a statement's ColumnConverter is used
// when, and only when, the driver's statement has one.
func TestColumnConverter(t *testing.T) {
	run := func(t *testing.T, c driver.Connector) []string {
		db := sql.OpenDB(c)
		defer db.Close()
		mustExec(t, db, "CREATE TABLE t (v)")
		var out []string
		for _, arg := range []any{"12", int64(1) << 40} {
			_, err := db.Exec("INSERT INTO t (v) VALUES (?)", arg)
			out = append(out, fmt.Sprint(err))
		}
		rows, err := db.Query("SELECT typeof(v) FROM t")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var typ string
			if err := rows.Scan(&typ); err != nil {
				t.Fatal(err)
			}
			out = append(out, typ)
		}
		return out
	}
	e := chaos.New()
	for _, cc := range []bool{false, true} {
		t.Run(fmt.Sprintf("cc=%v", cc), func(t *testing.T) {
			wrap := func(c driver.Conn) driver.Conn { return plainConn{c: c, cc: cc} }
			var bare, wrapped []string
			t.Run("bare", func(t *testing.T) {
				keepAlive(t, memDSN(t))
				bare = run(t, funcConnector{connector(t, memDSN(t)), wrap})
			})
			t.Run("wrapped", func(t *testing.T) {
				keepAlive(t, memDSN(t))
				wrapped = run(t, chaossql.Wrap(funcConnector{connector(t, memDSN(t)), wrap}, e))
			})
			if diff := cmp.Diff(bare, wrapped); diff != "" {
				t.Errorf("(-bare +wrapped):\n%s", diff)
			}
			// Without a ColumnConverter both values go in as they are; with
			// driver.Int32, the string is parsed and the large value refused.
			want := []string{"<nil>", "<nil>", "text", "integer"}
			if cc {
				want = []string{"<nil>", "sql: converting argument $1 type: sql/driver: value 1099511627776 overflows int32", "integer"}
			}
			if diff := cmp.Diff(want, bare); diff != "" {
				t.Errorf("bare (-want +got):\n%s", diff)
			}
		})
	}
}
