package chaossql

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"github.com/faultline-go/faultline/chaos"
)

// conn wraps a driver connection. Its variants below add SessionResetter
// and Validator exactly when the wrapped connection has them.
type conn struct {
	inner  driver.Conn
	pts    *points
	broken atomic.Bool

	// The wrapped connection's optional interfaces, nil where it lacks
	// them, looked up once.
	execCtx  driver.ExecerContext
	exec     driver.Execer
	queryCtx driver.QueryerContext
	query    driver.Queryer
	prepCtx  driver.ConnPrepareContext
	beginTx  driver.ConnBeginTx
	pinger   driver.Pinger
	nvc      driver.NamedValueChecker

	// tx is the wrapper of the connection's transaction, reused: a
	// connection runs at most one transaction at a time.
	tx tx
}

// connR is a conn whose driver connection is a SessionResetter.
type connR struct{ conn }

// connV is a conn whose driver connection is a Validator.
type connV struct{ conn }

// connRV is a conn whose driver connection is both.
type connRV struct{ conn }

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
	_ driver.SessionResetter    = (*connR)(nil)
	_ driver.Validator          = (*connV)(nil)
	_ driver.SessionResetter    = (*connRV)(nil)
	_ driver.Validator          = (*connRV)(nil)
)

// newConn wraps ci in the variant that mirrors its SessionResetter and
// Validator.
func newConn(ci driver.Conn, pts *points) driver.Conn {
	_, r := ci.(driver.SessionResetter)
	_, v := ci.(driver.Validator)
	switch {
	case r && v:
		w := new(connRV)
		w.init(ci, pts)
		return w
	case r:
		w := new(connR)
		w.init(ci, pts)
		return w
	case v:
		w := new(connV)
		w.init(ci, pts)
		return w
	}
	w := new(conn)
	w.init(ci, pts)
	return w
}

func (c *conn) init(ci driver.Conn, pts *points) {
	c.inner = ci
	c.pts = pts
	c.execCtx, _ = ci.(driver.ExecerContext)
	c.exec, _ = ci.(driver.Execer)
	c.queryCtx, _ = ci.(driver.QueryerContext)
	c.query, _ = ci.(driver.Queryer)
	c.prepCtx, _ = ci.(driver.ConnPrepareContext)
	c.beginTx, _ = ci.(driver.ConnBeginTx)
	c.pinger, _ = ci.(driver.Pinger)
	c.nvc, _ = ci.(driver.NamedValueChecker)
	c.tx.conn = c
}

// breakConn marks c broken by an injected fault; c may be nil.
func (c *conn) breakConn() {
	if c != nil {
		c.broken.Store(true)
	}
}

// check runs point p for a call on c that involves no statement. While
// no rule names p, it costs two atomic loads.
func (c *conn) check(ctx context.Context, p *chaos.Point) error {
	if !c.broken.Load() && !p.Armed() {
		return nil
	}
	return c.inject(ctx, p, "")
}

// checkQuery runs point p for a call on c that runs query; the statement
// class is worked out only when a rule names p.
func (c *conn) checkQuery(ctx context.Context, p *chaos.Point, query string) error {
	if !c.broken.Load() && !p.Armed() {
		return nil
	}
	return c.inject(ctx, p, Classify(query))
}

// inject is the slow path of the checks: it fails the call on a broken
// connection, or evaluates p, whose statement class is kind, and applies
// what fires.
func (c *conn) inject(ctx context.Context, p *chaos.Point, kind string) error {
	if c.broken.Load() {
		return errBroken
	}
	return evaluate(ctx, p, kind, c)
}

// Unwrap returns the driver's connection, for code that reaches it through
// sql.Conn.Raw.
func (c *conn) Unwrap() driver.Conn { return c.inner }

// Prepare implements driver.Conn.
func (c *conn) Prepare(query string) (driver.Stmt, error) {
	if err := c.checkQuery(context.Background(), c.pts.prepare, query); err != nil {
		return nil, err
	}
	si, err := c.inner.Prepare(query)
	if err != nil {
		return nil, err
	}
	return newStmt(si, c, query), nil
}

// PrepareContext implements driver.ConnPrepareContext.
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.checkQuery(ctx, c.pts.prepare, query); err != nil {
		return nil, err
	}
	var si driver.Stmt
	var err error
	if c.prepCtx != nil {
		si, err = c.prepCtx.PrepareContext(ctx, query)
	} else {
		// What database/sql does for a driver without PrepareContext.
		si, err = c.inner.Prepare(query)
		if err == nil && ctx.Err() != nil {
			si.Close()
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return newStmt(si, c, query), nil
}

// Close implements driver.Conn.
func (c *conn) Close() error { return c.inner.Close() }

// Begin implements driver.Conn.
//
// Deprecated: database/sql calls BeginTx.
func (c *conn) Begin() (driver.Tx, error) {
	ctx := context.Background()
	if err := c.check(ctx, c.pts.begin); err != nil {
		return nil, err
	}
	t, err := c.inner.Begin()
	if err != nil {
		return nil, err
	}
	return c.startTx(ctx, t), nil
}

// BeginTx implements driver.ConnBeginTx.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.check(ctx, c.pts.begin); err != nil {
		return nil, err
	}
	var t driver.Tx
	var err error
	if c.beginTx != nil {
		t, err = c.beginTx.BeginTx(ctx, opts)
	} else {
		t, err = beginWithoutContext(ctx, c.inner, opts)
	}
	if err != nil {
		return nil, err
	}
	return c.startTx(ctx, t), nil
}

// These are database/sql's own errors for a driver without BeginTx.
var (
	errIsolation = errors.New("sql: driver does not support non-default isolation level")
	errReadOnly  = errors.New("sql: driver does not support read-only transactions")
)

// beginWithoutContext does what database/sql does for a driver without
// BeginTx.
func beginWithoutContext(ctx context.Context, ci driver.Conn, opts driver.TxOptions) (driver.Tx, error) {
	if opts.Isolation != driver.IsolationLevel(0) {
		return nil, errIsolation
	}
	if opts.ReadOnly {
		return nil, errReadOnly
	}
	t, err := ci.Begin()
	if err == nil && ctx.Err() != nil {
		t.Rollback()
		return nil, ctx.Err()
	}
	return t, err
}

// ExecContext implements driver.ExecerContext. It returns driver.ErrSkip,
// without evaluating sql.exec, when the driver's connection cannot execute
// without preparing: database/sql then prepares the statement, and sql.exec
// is evaluated on the statement. A driver whose ExecContext itself returns
// driver.ErrSkip has sql.exec evaluated twice for that call: here, then on
// the statement database/sql prepares.
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.execCtx == nil && c.exec == nil {
		return nil, driver.ErrSkip
	}
	if err := c.checkQuery(ctx, c.pts.exec, query); err != nil {
		return nil, err
	}
	if c.execCtx != nil {
		return c.execCtx.ExecContext(ctx, query, args)
	}
	return withValues(ctx, args, func(vals []driver.Value) (driver.Result, error) {
		return c.exec.Exec(query, vals)
	})
}

// QueryContext implements driver.QueryerContext, returning driver.ErrSkip
// as ExecContext does.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.queryCtx == nil && c.query == nil {
		return nil, driver.ErrSkip
	}
	if err := c.checkQuery(ctx, c.pts.query, query); err != nil {
		return nil, err
	}
	var r driver.Rows
	var err error
	if c.queryCtx != nil {
		r, err = c.queryCtx.QueryContext(ctx, query, args)
	} else {
		r, err = withValues(ctx, args, func(vals []driver.Value) (driver.Rows, error) {
			return c.query.Query(query, vals)
		})
	}
	if err != nil {
		return nil, err
	}
	return c.wrapRows(ctx, r, query), nil
}

// Ping implements driver.Pinger; it returns nil after sql.ping when the
// driver's connection has no Ping, as database/sql does.
func (c *conn) Ping(ctx context.Context) error {
	if err := c.check(ctx, c.pts.ping); err != nil {
		return err
	}
	if c.pinger == nil {
		return nil
	}
	return c.pinger.Ping(ctx)
}

// CheckNamedValue implements driver.NamedValueChecker; it returns
// driver.ErrSkip, which sends database/sql to its default conversion, when
// the driver's connection has none.
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if c.nvc == nil {
		return driver.ErrSkip
	}
	return c.nvc.CheckNamedValue(nv)
}

// ResetSession implements driver.SessionResetter.
func (c *connR) ResetSession(ctx context.Context) error { return c.resetSession(ctx) }

// IsValid implements driver.Validator.
func (c *connV) IsValid() bool { return c.isValid() }

// ResetSession implements driver.SessionResetter.
func (c *connRV) ResetSession(ctx context.Context) error { return c.resetSession(ctx) }

// IsValid implements driver.Validator.
func (c *connRV) IsValid() bool { return c.isValid() }

func (c *conn) resetSession(ctx context.Context) error {
	if c.broken.Load() {
		return errBroken
	}
	return c.inner.(driver.SessionResetter).ResetSession(ctx)
}

func (c *conn) isValid() bool {
	return !c.broken.Load() && c.inner.(driver.Validator).IsValid()
}

// errNamedArgs is database/sql's own error for named arguments to a driver
// without the context methods.
var errNamedArgs = errors.New("sql: driver does not support the use of Named Parameters")

// withValues does what database/sql does to call a driver method without
// a context (Execer.Exec, Queryer.Query, Stmt.Exec, Stmt.Query): it turns
// args into plain values, refusing named ones, checks ctx, then calls
// call with the values.
func withValues[T any](ctx context.Context, args []driver.NamedValue, call func([]driver.Value) (T, error)) (T, error) {
	var zero T
	vals := make([]driver.Value, len(args))
	for i, nv := range args {
		if nv.Name != "" {
			return zero, errNamedArgs
		}
		vals[i] = nv.Value
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	return call(vals)
}
