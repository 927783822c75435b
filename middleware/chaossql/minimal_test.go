package chaossql_test

import (
	"context"
	"database/sql/driver"
)

// The types in this file put modernc.org/sqlite behind the bare driver
// interfaces, hiding every optional one, so that tests can check how the
// wrapper behaves for a driver that lacks them. The variants add back
// SessionResetter, Validator and ColumnConverter.

// funcConnector makes connections with a connector and wraps each.
type funcConnector struct {
	driver.Connector
	wrap func(driver.Conn) driver.Conn
}

func (c funcConnector) Connect(ctx context.Context) (driver.Conn, error) {
	ci, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return c.wrap(ci), nil
}

// minimal hides the optional interfaces of c's connections.
func minimal(c driver.Connector) driver.Connector {
	return funcConnector{c, func(ci driver.Conn) driver.Conn { return plainConn{ci, false} }}
}

// legacy gives c's connections only driver.Conn's methods and the
// deprecated Execer and Queryer.
func legacy(c driver.Connector) driver.Connector {
	return funcConnector{c, func(ci driver.Conn) driver.Conn { return legacyConn{plainConn{c: ci}} }}
}

type legacyConn struct{ plainConn }

func (c legacyConn) Exec(query string, args []driver.Value) (driver.Result, error) {
	return c.c.(driver.Execer).Exec(query, args) //nolint:staticcheck // the point is a driver without ExecContext
}

func (c legacyConn) Query(query string, args []driver.Value) (driver.Rows, error) {
	r, err := c.c.(driver.Queryer).Query(query, args) //nolint:staticcheck // the point is a driver without QueryContext
	if err != nil {
		return nil, err
	}
	return plainRows{r}, nil
}

// plainConn has only driver.Conn's methods, plus Unwrap for sqlite.Limit.
type plainConn struct {
	c driver.Conn
	// cc makes its statements ColumnConverters.
	cc bool
}

func (c plainConn) Prepare(query string) (driver.Stmt, error) {
	si, err := c.c.Prepare(query)
	if err != nil {
		return nil, err
	}
	if c.cc {
		return ccStmt{plainStmt{si}}, nil
	}
	return plainStmt{si}, nil
}

func (c plainConn) Close() error { return c.c.Close() }

func (c plainConn) Begin() (driver.Tx, error) {
	return c.c.Begin() //nolint:staticcheck // the point is a driver without BeginTx
}

func (c plainConn) Unwrap() driver.Conn { return c.c }

type resetterConn struct{ plainConn }

func (c resetterConn) ResetSession(ctx context.Context) error {
	return c.c.(driver.SessionResetter).ResetSession(ctx)
}

type validatorConn struct{ plainConn }

func (c validatorConn) IsValid() bool { return c.c.(driver.Validator).IsValid() }

type bothConn struct{ plainConn }

func (c bothConn) ResetSession(ctx context.Context) error {
	return c.c.(driver.SessionResetter).ResetSession(ctx)
}

func (c bothConn) IsValid() bool { return c.c.(driver.Validator).IsValid() }

// plainStmt has only driver.Stmt's methods.
type plainStmt struct{ s driver.Stmt }

func (s plainStmt) Close() error  { return s.s.Close() }
func (s plainStmt) NumInput() int { return s.s.NumInput() }

func (s plainStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.s.Exec(args) //nolint:staticcheck // the point is a driver without ExecContext
}

func (s plainStmt) Query(args []driver.Value) (driver.Rows, error) {
	r, err := s.s.Query(args) //nolint:staticcheck // the point is a driver without QueryContext
	if err != nil {
		return nil, err
	}
	return plainRows{r}, nil
}

// ccStmt converts every argument as a driver.Int32 column would.
type ccStmt struct{ plainStmt }

func (ccStmt) ColumnConverter(int) driver.ValueConverter { return driver.Int32 }

// plainRows has only driver.Rows's methods.
type plainRows struct{ r driver.Rows }

func (r plainRows) Columns() []string              { return r.r.Columns() }
func (r plainRows) Close() error                   { return r.r.Close() }
func (r plainRows) Next(dest []driver.Value) error { return r.r.Next(dest) }
