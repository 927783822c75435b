package chaossql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/faultline-go/faultline/chaos"
)

// WrapDriver returns a driver that opens d's connections with the fault
// points of e, for code that opens databases by driver name and DSN:
//
//	sql.Register("sqlite+chaos", chaossql.WrapDriver(&sqlite.Driver{}, engine))
//	db, err := sql.Open("sqlite+chaos", dsn)
//
// A nil e means [chaos.Default]; opts and the points are those of [Wrap].
// The driver implements driver.DriverContext whether d does or not: its
// OpenConnector uses d's when d has one, and otherwise opens connections
// with d.Open as database/sql would. It is safe for concurrent use if d is.
//
// WrapDriver panics if d is nil: a mistake in the program, not in its input.
func WrapDriver(d driver.Driver, e *chaos.Engine, opts ...Option) driver.Driver {
	if d == nil {
		panic("chaossql: WrapDriver of a nil driver.Driver")
	}
	return &wrappedDriver{inner: d, pts: newPoints(e, opts)}
}

// Open opens a database with the driver registered as driverName, as
// sql.Open does, with its connections wrapped as by [Wrap]:
//
//	db, err := chaossql.Open("sqlite", "file:app.db", engine)
//
// A nil e means [chaos.Default]; opts and the points are those of [Wrap].
// Like sql.Open, it opens no connection; it fails only if no driver is
// registered under driverName or the driver rejects the DSN up front.
func Open(driverName, dsn string, e *chaos.Engine, opts ...Option) (*sql.DB, error) {
	// sql.Open is the only way to find a registered driver; it opens
	// nothing, and Close stops the goroutine it starts.
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("chaossql: opening database: %w", err)
	}
	inner := probe.Driver()
	probe.Close()
	c, err := WrapDriver(inner, e, opts...).(driver.DriverContext).OpenConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("chaossql: opening database: %w", err)
	}
	return sql.OpenDB(c), nil
}

// wrappedDriver wraps a driver.Driver.
type wrappedDriver struct {
	inner driver.Driver
	pts   *points
}

var (
	_ driver.Driver        = (*wrappedDriver)(nil)
	_ driver.DriverContext = (*wrappedDriver)(nil)
)

// Open implements driver.Driver: sql.connect fires before the wrapped
// driver opens the connection.
func (d *wrappedDriver) Open(name string) (driver.Conn, error) {
	return openConn(context.Background(), d.pts, func() (driver.Conn, error) { return d.inner.Open(name) })
}

// OpenConnector implements driver.DriverContext.
func (d *wrappedDriver) OpenConnector(name string) (driver.Connector, error) {
	var inner driver.Connector
	if dc, ok := d.inner.(driver.DriverContext); ok {
		c, err := dc.OpenConnector(name)
		if err != nil {
			return nil, err
		}
		inner = c
	} else {
		inner = dsnConnector{dsn: name, driver: d.inner}
	}
	return &connector{inner: inner, pts: d.pts, driver: d}, nil
}

// dsnConnector is what database/sql makes of a driver without
// OpenConnector: Connect calls Open with the DSN.
type dsnConnector struct {
	dsn    string
	driver driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }

func (c dsnConnector) Driver() driver.Driver { return c.driver }
