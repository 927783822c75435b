package chaospgx

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// errRows is the pgx.Rows and pgx.Row of a query a fault failed: closed,
// reporting the error, as pgx's own Rows of a failed query are.
type errRows struct {
	err error
}

var (
	_ pgx.Rows = (*errRows)(nil)
	_ pgx.Row  = (*errRows)(nil)
)

func (r *errRows) Close()                                       {}
func (r *errRows) Err() error                                   { return r.err }
func (r *errRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (r *errRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (r *errRows) Next() bool                                   { return false }
func (r *errRows) Scan(...any) error                            { return r.err }
func (r *errRows) Values() ([]any, error)                       { return nil, r.err }
func (r *errRows) RawValues() [][]byte                          { return nil }
func (r *errRows) Conn() *pgx.Conn                              { return nil }
func (r *errRows) TypeMap() *pgtype.Map                         { return nil }

// errBatch is the pgx.BatchResults of a batch a fault failed: nothing was
// sent, and every method returns the error. Its Tx is nil, or, for a
// batch that was to begin a transaction, a transaction already closed, as
// pgx's own is when the batch fails before it begins.
type errBatch struct {
	err error
	tx  pgx.Tx
}

var _ pgx.BatchResults = (*errBatch)(nil)

func (b *errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b *errBatch) Query() (pgx.Rows, error)         { return &errRows{err: b.err}, b.err }
func (b *errBatch) QueryRow() pgx.Row                { return &errRows{err: b.err} }
func (b *errBatch) Close() error                     { return b.err }
func (b *errBatch) Tx() pgx.Tx                       { return b.tx }

// txBatch is the pgx.BatchResults of a batch that began a transaction,
// which it returns wrapped.
type txBatch struct {
	pgx.BatchResults
	tx *Tx
}

func (b *txBatch) Tx() pgx.Tx { return b.tx }

// closedTx is a transaction that has ended: every method fails with
// pgx.ErrTxClosed.
type closedTx struct{}

var _ pgx.Tx = closedTx{}

func (closedTx) Begin(context.Context) (pgx.Tx, error) { return nil, pgx.ErrTxClosed }
func (closedTx) Commit(context.Context) error          { return pgx.ErrTxClosed }
func (closedTx) Rollback(context.Context) error        { return pgx.ErrTxClosed }
func (closedTx) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, pgx.ErrTxClosed
}
func (closedTx) SendBatch(context.Context, *pgx.Batch) pgx.BatchResults {
	return &errBatch{err: pgx.ErrTxClosed}
}
func (closedTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }
func (closedTx) Prepare(context.Context, string, string) (*pgconn.StatementDescription, error) {
	return nil, pgx.ErrTxClosed
}
func (closedTx) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, pgx.ErrTxClosed
}
func (closedTx) Query(context.Context, string, ...any) (pgx.Rows, error) {
	return &errRows{err: pgx.ErrTxClosed}, pgx.ErrTxClosed
}
func (closedTx) QueryRow(context.Context, string, ...any) pgx.Row {
	return &errRows{err: pgx.ErrTxClosed}
}
func (closedTx) Conn() *pgx.Conn { return nil }
