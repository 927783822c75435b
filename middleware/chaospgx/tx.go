package chaospgx

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/faults"
)

// Tx is a pgx.Tx with fault points, as [DB.Begin] returns it: its
// statements evaluate the points of the DB that began it, and Commit and
// Rollback evaluate pgx.commit and pgx.rollback. Like a pgx.Tx, it is not
// safe for concurrent use.
type Tx struct {
	calls        // with the pgx.Tx as its Querier
	inner pgx.Tx // the wrapped transaction
}

var _ pgx.Tx = (*Tx)(nil)

// newTx returns t wrapped with the points pts.
func newTx(t pgx.Tx, pts *points) *Tx {
	return &Tx{calls: calls{q: t, pts: pts}, inner: t}
}

// Unwrap returns the pgx.Tx that t wraps.
func (t *Tx) Unwrap() pgx.Tx { return t.inner }

// Begin starts a pseudo nested transaction (a savepoint) after the point
// pgx.begin, wrapped as a *Tx.
func (t *Tx) Begin(ctx context.Context) (pgx.Tx, error) {
	return begin(ctx, t.pts, t.inner.Begin)
}

// Commit commits the transaction after the point pgx.commit. A fault there
// rolls the transaction back instead, before returning its error (or
// panicking), so that an injected commit failure leaves none of the
// transaction's writes, and the transaction is closed either way, as after
// a failed Commit of pgx.
func (t *Tx) Commit(ctx context.Context) error {
	if err := t.beforeEnd(ctx, t.pts.commit); err != nil {
		return err
	}
	return t.inner.Commit(ctx)
}

// Rollback rolls the transaction back after the point pgx.rollback. A
// fault there still rolls it back, then returns its error (or panics).
func (t *Tx) Rollback(ctx context.Context) error {
	if err := t.beforeEnd(ctx, t.pts.rollback); err != nil {
		return err
	}
	return t.inner.Rollback(ctx)
}

// beforeEnd evaluates p before the end of the transaction, and when the
// call is to fail rolls the transaction back first.
func (t *Tx) beforeEnd(ctx context.Context, p *chaos.Point) error {
	if !p.Armed() {
		return nil
	}
	d := p.Decide(ctx)
	if d.Kind() == faults.KindPanic {
		t.inner.Rollback(context.WithoutCancel(ctx))
	}
	if err := apply(ctx, &d); err != nil {
		// The context may be what ended a latency or hang: roll back
		// without it.
		t.inner.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return nil
}

// Prepare is the wrapped transaction's Prepare; it has no point.
func (t *Tx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.inner.Prepare(ctx, name, sql)
}

// LargeObjects is the wrapped transaction's LargeObjects; it has no point.
func (t *Tx) LargeObjects() pgx.LargeObjects { return t.inner.LargeObjects() }

// Conn returns the wrapped transaction's connection, which has no points.
func (t *Tx) Conn() *pgx.Conn { return t.inner.Conn() }
