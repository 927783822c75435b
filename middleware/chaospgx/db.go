package chaospgx

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/chaossql"
)

// Querier is what *pgx.Conn, *pgxpool.Pool and pgx.Tx have in common, and
// what [Wrap] wraps. [DB] and [Tx] have it too, so code written against
// Querier takes a wrapped database as it takes a bare one.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// txBeginner is the BeginTx of *pgx.Conn and *pgxpool.Pool.
type txBeginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

var (
	_ Querier    = (*DB)(nil)
	_ txBeginner = (*DB)(nil)
	_ Querier    = (*pgx.Conn)(nil)
	_ txBeginner = (*pgx.Conn)(nil)
)

// DB is a [Querier] with fault points: what [Wrap] returns. It is as safe
// for concurrent use as the Querier it wraps: a *pgxpool.Pool is, a
// *pgx.Conn is not.
type DB struct {
	calls
	beginTx txBeginner // nil if the wrapped Querier has no BeginTx
}

// Wrap returns q, a *pgx.Conn, a *pgxpool.Pool or a pgx.Tx, with the fault
// points of e, so that
//
//	db := chaospgx.Wrap(pool, engine)
//	rows, err := db.Query(ctx, "SELECT …")
//
// runs q's calls with faults a plan can switch on. A nil e means
// [chaos.Default]. The points are named under [DefaultPrefix] unless
// [WithPrefix] says otherwise; see the package documentation for the points
// and what each fault does. While no rule names a point, the calls behave
// exactly as q's and allocate nothing more, but for the [Tx] wrapper that
// each Begin allocates.
//
// Wrap panics if q is nil: a mistake in the program, not in its input.
func Wrap(q Querier, e *chaos.Engine, opts ...Option) *DB {
	if q == nil {
		panic("chaospgx: Wrap of a nil Querier")
	}
	bt, _ := q.(txBeginner)
	return &DB{calls: calls{q: q, pts: newPoints(e, opts)}, beginTx: bt}
}

// Unwrap returns the Querier that d wraps, for what DB does not carry,
// such as a pool's Acquire, Ping, Stat and Close.
func (d *DB) Unwrap() Querier { return d.q }

// Begin starts a transaction after the point pgx.begin, and returns it
// wrapped as a [*Tx].
func (d *DB) Begin(ctx context.Context) (pgx.Tx, error) {
	return begin(ctx, d.pts, d.q.Begin)
}

// errTxOptions is the error of BeginTx with options on a Querier that has
// no BeginTx.
var errTxOptions = errors.New("chaospgx: BeginTx with options on a Querier without BeginTx")

// BeginTx starts a transaction with opts after the point pgx.begin, and
// returns it wrapped as a [*Tx]. When the wrapped Querier has no BeginTx
// (a pgx.Tx), it calls Begin for the zero opts and fails for any other.
func (d *DB) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	return begin(ctx, d.pts, func(ctx context.Context) (pgx.Tx, error) {
		if d.beginTx != nil {
			return d.beginTx.BeginTx(ctx, opts)
		}
		if opts != (pgx.TxOptions{}) {
			return nil, errTxOptions
		}
		return d.q.Begin(ctx)
	})
}

// calls holds the statement methods that DB and Tx share: each evaluates
// its point of pts, then makes the call on q.
type calls struct {
	q   Querier
	pts *points
}

// Exec is the wrapped Exec, after the point pgx.exec.
func (c *calls) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := checkSQL(ctx, c.pts.exec, sql); err != nil {
		return pgconn.CommandTag{}, err
	}
	return c.q.Exec(ctx, sql, args...)
}

// Query is the wrapped Query, after the point pgx.query. When a fault
// fails the query, the Rows it returns, like pgx's own, are closed and
// report the error.
func (c *calls) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := checkSQL(ctx, c.pts.query, sql); err != nil {
		return &errRows{err: err}, err
	}
	return c.q.Query(ctx, sql, args...)
}

// QueryRow is the wrapped QueryRow, after the point pgx.query; a fault's
// error is what the Row's Scan returns.
func (c *calls) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := checkSQL(ctx, c.pts.query, sql); err != nil {
		return &errRows{err: err}
	}
	return c.q.QueryRow(ctx, sql, args...)
}

// SendBatch is the wrapped SendBatch, after the point pgx.batch. When a
// fault fails the batch, none of it is sent, and every method of the
// BatchResults returns the error.
func (c *calls) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := check(ctx, c.pts.batch); err != nil {
		eb := &errBatch{err: err}
		if b != nil && len(b.QueuedQueries) > 0 && chaossql.Classify(b.QueuedQueries[0].SQL) == chaossql.ClassTx {
			eb.tx = closedTx{}
		}
		return eb
	}
	br := c.q.SendBatch(ctx, b)
	if t := br.Tx(); t != nil {
		return &txBatch{BatchResults: br, tx: newTx(t, c.pts)}
	}
	return br
}

// CopyFrom is the wrapped CopyFrom, after the point pgx.copy.
func (c *calls) CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error) {
	if err := check(ctx, c.pts.copy); err != nil {
		return 0, err
	}
	return c.q.CopyFrom(ctx, tableName, columnNames, rowSrc)
}

// begin starts a transaction with start after the point pgx.begin, and
// returns it wrapped as a [*Tx] with the points pts.
func begin(ctx context.Context, pts *points, start func(context.Context) (pgx.Tx, error)) (pgx.Tx, error) {
	if err := check(ctx, pts.begin); err != nil {
		return nil, err
	}
	t, err := start(ctx)
	if err != nil {
		return nil, err
	}
	return newTx(t, pts), nil
}
