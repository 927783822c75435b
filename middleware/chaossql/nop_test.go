package chaossql_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
)

// nopConnector makes connections that do no work: every query returns one
// row of one integer. Benchmarks on it measure database/sql and the wrapper
// alone, which a real database's microseconds per query would hide.
type nopConnector struct{}

func (nopConnector) Connect(context.Context) (driver.Conn, error) { return nopConn{}, nil }
func (nopConnector) Driver() driver.Driver                        { return nopDriver{} }

type nopDriver struct{}

func (nopDriver) Open(string) (driver.Conn, error) { return nopConn{}, nil }

type nopConn struct{}

func (nopConn) Prepare(string) (driver.Stmt, error) { return nopStmt{}, nil }
func (nopConn) Close() error                        { return nil }
func (nopConn) Begin() (driver.Tx, error)           { return nopTx{}, nil }

func (nopConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &nopRows{}, nil
}

type nopStmt struct{}

func (nopStmt) Close() error                               { return nil }
func (nopStmt) NumInput() int                              { return -1 }
func (nopStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(0), nil }
func (nopStmt) Query([]driver.Value) (driver.Rows, error)  { return &nopRows{}, nil }

func (nopStmt) QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error) {
	return &nopRows{}, nil
}

type nopTx struct{}

func (nopTx) Commit() error   { return nil }
func (nopTx) Rollback() error { return nil }

var nopColumns = []string{"x"}

type nopRows struct{ done bool }

func (*nopRows) Columns() []string { return nopColumns }
func (*nopRows) Close() error      { return nil }

func (r *nopRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	dest[0] = int64(1)
	r.done = true
	return nil
}

// nopCtxDriver is a nopDriver with OpenConnector.
type nopCtxDriver struct{ nopDriver }

var errBadDSN = errors.New("nop: bad dsn")

func (nopCtxDriver) OpenConnector(dsn string) (driver.Connector, error) {
	if dsn == "bad" {
		return nil, errBadDSN
	}
	return nopConnector{}, nil
}

// failingTxConnector makes connections whose transactions fail to roll
// back.
type failingTxConnector struct{ nopConnector }

func (failingTxConnector) Connect(context.Context) (driver.Conn, error) { return failingTxConn{}, nil }

type failingTxConn struct{ nopConn }

func (failingTxConn) Begin() (driver.Tx, error) { return failingTx{}, nil }

type failingTx struct{ nopTx }

var errRollback = errors.New("nop: rollback failed")

func (failingTx) Rollback() error { return errRollback }
