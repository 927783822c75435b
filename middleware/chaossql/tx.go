package chaossql

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// tx wraps a driver transaction. Each conn holds one and reuses it for
// every transaction it runs, so starting one allocates nothing.
type tx struct {
	inner driver.Tx
	conn  *conn
	// ctx is the context the transaction began with. Commit and Rollback
	// take none, so their points use it, as database/sql's Tx does.
	ctx context.Context
}

var _ driver.Tx = (*tx)(nil)

// startTx returns c's transaction wrapper around t. database/sql runs one
// transaction at a time on a connection; a caller of the driver that
// starts a second one before the first ends gets a wrapper of its own.
func (c *conn) startTx(ctx context.Context, t driver.Tx) *tx {
	if c.tx.inner != nil {
		return &tx{inner: t, conn: c, ctx: ctx}
	}
	c.tx.inner = t
	c.tx.ctx = ctx
	return &c.tx
}

// end takes the driver's transaction out of t, so that a second Commit or
// Rollback returns sql.ErrTxDone, and returns it with its context.
func (t *tx) end() (driver.Tx, context.Context) {
	inner, ctx := t.inner, t.ctx
	t.inner, t.ctx = nil, nil
	return inner, ctx
}

// Commit implements driver.Tx. A fault at sql.commit fires before the
// driver's Commit, and the driver's transaction is rolled back instead.
func (t *tx) Commit() error {
	inner, ctx := t.end()
	if inner == nil {
		return sql.ErrTxDone
	}
	if err := t.conn.beforeEnd(ctx, t.conn.pts.commit, inner); err != nil {
		return err
	}
	return inner.Commit()
}

// Rollback implements driver.Tx. A fault at sql.rollback fires before the
// driver's Rollback, which is still called.
func (t *tx) Rollback() error {
	inner, ctx := t.end()
	if inner == nil {
		return sql.ErrTxDone
	}
	if err := t.conn.beforeEnd(ctx, t.conn.pts.rollback, inner); err != nil {
		return err
	}
	return inner.Rollback()
}

// beforeEnd runs point p for the end of the driver transaction inner. When
// the call is to fail, it rolls inner back first, so that no write of the
// transaction stays visible and the connection holds no open transaction.
func (c *conn) beforeEnd(ctx context.Context, p *chaos.Point, inner driver.Tx) error {
	if c.broken.Load() {
		c.rollback(inner)
		return errBroken
	}
	if !p.Armed() {
		return nil
	}
	d := p.Decide(ctx)
	if d.Kind() == faults.KindPanic {
		c.rollback(inner)
	}
	if err := apply(ctx, &d, c); err != nil {
		c.rollback(inner)
		return err
	}
	return nil
}

// rollback rolls inner back after a fault, and marks c broken if that
// fails: the connection may still hold the transaction.
func (c *conn) rollback(inner driver.Tx) {
	if err := inner.Rollback(); err != nil {
		c.breakConn()
	}
}
