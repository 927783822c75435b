package chaossql

import (
	"context"
	"database/sql/driver"
	"io"

	"github.com/faultline-go/faultline/chaos"
)

// Wrap returns a connector that opens c's connections with the fault points
// of e, so that
//
//	db := sql.OpenDB(chaossql.Wrap(connector, engine))
//
// gives a *sql.DB whose calls a plan can slow down or fail. A nil e means
// [chaos.Default]. The points are named under [DefaultPrefix] unless
// [WithPrefix] says otherwise; see the package documentation for the points
// and what each fault does. While no rule names a point, the connections
// behave exactly as c's.
//
// The connector is safe for concurrent use if c is. Its Driver method
// returns c's driver wrapped as by [WrapDriver]; it implements io.Closer,
// closing c if c does, so that sql.DB.Close closes c as it would.
//
// Wrap panics if c is nil: a mistake in the program, not in its input.
func Wrap(c driver.Connector, e *chaos.Engine, opts ...Option) driver.Connector {
	if c == nil {
		panic("chaossql: Wrap of a nil driver.Connector")
	}
	pts := newPoints(e, opts)
	var d driver.Driver
	if inner := c.Driver(); inner != nil {
		d = &wrappedDriver{inner: inner, pts: pts}
	}
	return &connector{inner: c, pts: pts, driver: d}
}

// connector wraps a driver.Connector.
type connector struct {
	inner  driver.Connector
	pts    *points
	driver driver.Driver
}

var (
	_ driver.Connector = (*connector)(nil)
	_ io.Closer        = (*connector)(nil)
)

// Connect implements driver.Connector: sql.connect fires before the wrapped
// connector connects.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	return openConn(ctx, c.pts, func() (driver.Conn, error) { return c.inner.Connect(ctx) })
}

// openConn opens a connection with open after the point sql.connect of
// pts, and returns it wrapped with the points: what Connect of a wrapped
// connector and Open of a wrapped driver share.
func openConn(ctx context.Context, pts *points, open func() (driver.Conn, error)) (driver.Conn, error) {
	if p := pts.connect; p.Armed() {
		if err := evaluate(ctx, p, "", nil); err != nil {
			return nil, err
		}
	}
	ci, err := open()
	if err != nil {
		return nil, err
	}
	return newConn(ci, pts), nil
}

// Driver implements driver.Connector.
func (c *connector) Driver() driver.Driver { return c.driver }

// Close implements io.Closer: it closes the wrapped connector if that is an
// io.Closer, and returns nil otherwise, as sql.DB.Close does.
func (c *connector) Close() error {
	if cl, ok := c.inner.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}
