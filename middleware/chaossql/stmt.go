package chaossql

import (
	"context"
	"database/sql/driver"

	"github.com/faultline-go/faultline/chaos"
)

// stmt wraps a prepared statement; stmtCC adds ColumnConverter exactly
// when the wrapped statement has it.
type stmt struct {
	inner driver.Stmt
	conn  *conn
	query string
	kind  string // Classify(query), worked out when a point first needs it

	execCtx  driver.StmtExecContext
	queryCtx driver.StmtQueryContext
	nvc      driver.NamedValueChecker
}

// stmtCC is a stmt whose driver statement is a ColumnConverter.
type stmtCC struct {
	stmt
	cc driver.ColumnConverter
}

var (
	_ driver.Stmt              = (*stmt)(nil)
	_ driver.StmtExecContext   = (*stmt)(nil)
	_ driver.StmtQueryContext  = (*stmt)(nil)
	_ driver.NamedValueChecker = (*stmt)(nil)
	_ driver.ColumnConverter   = (*stmtCC)(nil)
)

func newStmt(si driver.Stmt, c *conn, query string) driver.Stmt {
	if cc, ok := si.(driver.ColumnConverter); ok {
		s := &stmtCC{cc: cc}
		s.init(si, c, query)
		return s
	}
	s := new(stmt)
	s.init(si, c, query)
	return s
}

func (s *stmt) init(si driver.Stmt, c *conn, query string) {
	s.inner = si
	s.conn = c
	s.query = query
	s.execCtx, _ = si.(driver.StmtExecContext)
	s.queryCtx, _ = si.(driver.StmtQueryContext)
	s.nvc, _ = si.(driver.NamedValueChecker)
}

// before runs point p, sql.exec or sql.query, for a call on s.
func (s *stmt) before(ctx context.Context, p *chaos.Point) error {
	if !s.conn.broken.Load() && !p.Armed() {
		return nil
	}
	return s.inject(ctx, p)
}

// inject is the slow path of before. The statement class is worked out
// once, the first time a rule needs it: database/sql uses a statement from
// one goroutine at a time.
func (s *stmt) inject(ctx context.Context, p *chaos.Point) error {
	if s.kind == "" {
		s.kind = Classify(s.query)
	}
	return s.conn.inject(ctx, p, s.kind)
}

// Close implements driver.Stmt.
func (s *stmt) Close() error { return s.inner.Close() }

// NumInput implements driver.Stmt.
func (s *stmt) NumInput() int { return s.inner.NumInput() }

// Exec implements driver.Stmt.
//
// Deprecated: database/sql calls ExecContext.
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	if err := s.before(context.Background(), s.conn.pts.exec); err != nil {
		return nil, err
	}
	return s.inner.Exec(args)
}

// Query implements driver.Stmt.
//
// Deprecated: database/sql calls QueryContext.
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	ctx := context.Background()
	if err := s.before(ctx, s.conn.pts.query); err != nil {
		return nil, err
	}
	r, err := s.inner.Query(args)
	if err != nil {
		return nil, err
	}
	return s.conn.wrapRows(ctx, r, s.query), nil
}

// ExecContext implements driver.StmtExecContext.
func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.before(ctx, s.conn.pts.exec); err != nil {
		return nil, err
	}
	if s.execCtx != nil {
		return s.execCtx.ExecContext(ctx, args)
	}
	return withValues(ctx, args, s.inner.Exec)
}

// QueryContext implements driver.StmtQueryContext.
func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.before(ctx, s.conn.pts.query); err != nil {
		return nil, err
	}
	var r driver.Rows
	var err error
	if s.queryCtx != nil {
		r, err = s.queryCtx.QueryContext(ctx, args)
	} else {
		r, err = withValues(ctx, args, s.inner.Query)
	}
	if err != nil {
		return nil, err
	}
	return s.conn.wrapRows(ctx, r, s.query), nil
}

// CheckNamedValue implements driver.NamedValueChecker. Without one on the
// driver's statement it defers to the connection's, as database/sql does,
// which returns driver.ErrSkip when the driver's connection has none either.
func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if s.nvc != nil {
		return s.nvc.CheckNamedValue(nv)
	}
	return s.conn.CheckNamedValue(nv)
}

// ColumnConverter implements driver.ColumnConverter.
func (s *stmtCC) ColumnConverter(idx int) driver.ValueConverter {
	return s.cc.ColumnConverter(idx)
}
