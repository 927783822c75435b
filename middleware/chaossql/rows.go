package chaossql

import (
	"context"
	"database/sql/driver"
	"io"
	"reflect"
)

// rows wraps a result set to run sql.rows on each Next. A result set is
// wrapped only when a rule names sql.rows as the query returns, so the
// disabled path allocates nothing.
type rows struct {
	inner driver.Rows
	conn  *conn
	// ctx is the query's context. Next takes none, so sql.rows uses it,
	// as database/sql's Rows does to close the result set.
	ctx   context.Context
	query string
	kind  string // Classify(query), worked out on first use
}

var (
	_ driver.Rows                           = (*rows)(nil)
	_ driver.RowsNextResultSet              = (*rows)(nil)
	_ driver.RowsColumnTypeScanType         = (*rows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*rows)(nil)
	_ driver.RowsColumnTypeLength           = (*rows)(nil)
	_ driver.RowsColumnTypeNullable         = (*rows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*rows)(nil)
)

// wrapRows returns r, wrapped if a rule names sql.rows.
func (c *conn) wrapRows(ctx context.Context, r driver.Rows, query string) driver.Rows {
	if !c.pts.rows.Armed() {
		return r
	}
	return &rows{inner: r, conn: c, ctx: ctx, query: query}
}

// Columns implements driver.Rows.
func (r *rows) Columns() []string { return r.inner.Columns() }

// Close implements driver.Rows.
func (r *rows) Close() error { return r.inner.Close() }

// Next implements driver.Rows; sql.rows fires before the driver's Next.
func (r *rows) Next(dest []driver.Value) error {
	if c := r.conn; c.broken.Load() || c.pts.rows.Armed() {
		if r.kind == "" {
			r.kind = Classify(r.query)
		}
		if err := c.inject(r.ctx, c.pts.rows, r.kind); err != nil {
			return err
		}
	}
	return r.inner.Next(dest)
}

// HasNextResultSet implements driver.RowsNextResultSet; without it on the
// driver's rows there is no next result set.
func (r *rows) HasNextResultSet() bool {
	n, ok := r.inner.(driver.RowsNextResultSet)
	return ok && n.HasNextResultSet()
}

// NextResultSet implements driver.RowsNextResultSet; without it on the
// driver's rows it reports io.EOF, which database/sql reads as no further
// result set.
func (r *rows) NextResultSet() error {
	if n, ok := r.inner.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF
}

// anyType is the scan type database/sql reports without
// RowsColumnTypeScanType.
var anyType = reflect.TypeFor[any]()

// ColumnTypeScanType implements driver.RowsColumnTypeScanType.
func (r *rows) ColumnTypeScanType(index int) reflect.Type {
	if t, ok := r.inner.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(index)
	}
	return anyType
}

// ColumnTypeDatabaseTypeName implements
// driver.RowsColumnTypeDatabaseTypeName.
func (r *rows) ColumnTypeDatabaseTypeName(index int) string {
	if t, ok := r.inner.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}

// ColumnTypeLength implements driver.RowsColumnTypeLength.
func (r *rows) ColumnTypeLength(index int) (length int64, ok bool) {
	if t, ok := r.inner.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(index)
	}
	return 0, false
}

// ColumnTypeNullable implements driver.RowsColumnTypeNullable.
func (r *rows) ColumnTypeNullable(index int) (nullable, ok bool) {
	if t, ok := r.inner.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(index)
	}
	return false, false
}

// ColumnTypePrecisionScale implements driver.RowsColumnTypePrecisionScale.
func (r *rows) ColumnTypePrecisionScale(index int) (precision, scale int64, ok bool) {
	if t, ok := r.inner.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(index)
	}
	return 0, 0, false
}
