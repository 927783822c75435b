package chaossql_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/chaostest"
	"github.com/faultline-go/faultline/faults"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// TestDriverCalls uses a wrapped connection directly, as code below
// database/sql would, through the methods database/sql itself does not
// call on the wrapper: Begin, Prepare, and a statement's Exec and Query.
func TestDriverCalls(t *testing.T) {
	e := chaostest.New(t)
	dsn := memDSN(t)
	keepAlive(t, dsn)
	c, err := chaossql.Wrap(connector(t, dsn), e).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	chaostest.Enable(t, e, "sql.*=1*error(once)")

	if _, err := c.Begin(); !errors.Is(err, faults.ErrInjected) { //nolint:staticcheck // testing the deprecated method
		t.Errorf("first Begin: %v, want the injected error", err)
	}
	tx, err := c.Begin() //nolint:staticcheck // testing the deprecated method
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Prepare("CREATE TABLE t (x)"); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("first Prepare: %v, want the injected error", err)
	}
	s, err := c.Prepare("CREATE TABLE t (x)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Exec(nil); !errors.Is(err, faults.ErrInjected) { //nolint:staticcheck // testing the deprecated method
		t.Errorf("first Exec: %v, want the injected error", err)
	}
	if _, err := s.Exec(nil); err != nil { //nolint:staticcheck // testing the deprecated method
		t.Fatal(err)
	}
	s.Close()
	if err := tx.Commit(); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("Commit: %v, want the injected error", err)
	}
	if err := tx.Commit(); !errors.Is(err, sql.ErrTxDone) {
		t.Errorf("second Commit: %v, want sql.ErrTxDone", err)
	}
	if err := tx.Rollback(); !errors.Is(err, sql.ErrTxDone) {
		t.Errorf("Rollback after Commit: %v, want sql.ErrTxDone", err)
	}

	s, err = c.Prepare("SELECT 1 UNION ALL SELECT 2")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Query(nil); !errors.Is(err, faults.ErrInjected) { //nolint:staticcheck // testing the deprecated method
		t.Errorf("first Query: %v, want the injected error", err)
	}
	rows, err := s.Query(nil) //nolint:staticcheck // testing the deprecated method
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); !errors.Is(err, faults.ErrInjected) {
		t.Errorf("first Next: %v, want the injected error", err)
	}
	for _, want := range []error{nil, nil, io.EOF} { // the fault skipped no row
		if err := rows.Next(dest); err != want {
			t.Errorf("Next: %v, want %v", err, want)
		}
	}
}

// TestTwoTransactions checks that a caller below database/sql that starts
// a second transaction on a connection before the first ends keeps the
// two apart.
func TestTwoTransactions(t *testing.T) {
	c, err := chaossql.Wrap(nopConnector{}, chaos.New()).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := c.(driver.ConnBeginTx)
	t1, err := b.BeginTx(context.Background(), driver.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t2, err := b.BeginTx(context.Background(), driver.TxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if t1 == t2 {
		t.Fatal("two open transactions share a wrapper")
	}
	for _, tx := range []driver.Tx{t1, t2} {
		if err := tx.Commit(); err != nil {
			t.Errorf("Commit: %v", err)
		}
	}
}

func TestNilPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Wrap":       func() { chaossql.Wrap(nil, chaos.New()) },
		"WrapDriver": func() { chaossql.WrapDriver(nil, chaos.New()) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s(nil) did not panic", name)
				}
			}()
			f()
		})
	}
}
