// Package chaospgx puts fault points into pgx v5's native API, so that a
// service's PostgreSQL calls through a *pgx.Conn or a *pgxpool.Pool can be
// made slow or failing by a faultline plan, and behave exactly as before
// while no plan names them. (For database/sql over pgx/stdlib, use package
// chaossql.)
//
// pgx's tracers see every call but cannot fail one, so the package wraps
// instead: [Wrap] takes what *pgx.Conn, *pgxpool.Pool and pgx.Tx have in
// common ([Querier]) and returns a [*DB] with the same methods:
//
//	db := chaospgx.Wrap(pool, engine)
//	tag, err := db.Exec(ctx, "UPDATE …")
//
// # Points
//
// Each wrapper evaluates these points, named under "pgx." (see [WithPrefix]):
//
//	pgx.query     Query and QueryRow
//	pgx.exec      Exec
//	pgx.begin     Begin and BeginTx, and a savepoint's Tx.Begin
//	pgx.commit    Tx.Commit
//	pgx.rollback  Tx.Rollback
//	pgx.copy      CopyFrom
//	pgx.batch     SendBatch
//
// The SQL text never becomes a point name. The query and exec points
// carry the label stmt, the class of the statement that
// [chaossql.Classify] gives (select, insert, update, delete, merge, ddl, tx
// or other), which rules can match: "pgx.exec=error[label.stmt=insert]".
// It is worked out only while a rule names the point. Labels a call's
// context carries ([chaos.WithLabels]) are matched at every point.
//
// # Faults
//
// A fault fires before the pgx call it guards, so an injected error means
// nothing reached the server:
//
//   - error, and the HTTP kinds status and corrupt, return the injected
//     error, which matches [faults.ErrInjected]; badconn's also matches
//     driver.ErrBadConn, and abort's syscall.ECONNRESET. pgconn.SafeToRetry
//     reports every one of them safe to retry, as pgx does for its own
//     failures that happen before anything is sent. The connection itself
//     is left as it was: abort does not close it.
//   - latency waits, then makes the call; if the context ends first, the
//     call returns the context's error without being made.
//   - hang blocks until the call's context is done and returns its error,
//     or until the hang's bound and returns the injected error.
//   - panic panics with the injected error.
//
// A failed Query returns, with the error, closed Rows that report it, and
// a failed QueryRow a Row whose Scan returns it, as pgx does. A failed
// SendBatch sends nothing and returns BatchResults whose every method
// returns the error; if the batch was to begin a transaction
// (pgx.Batch.BeginTx), its Tx is one already closed, as pgx's is.
//
// # Transactions
//
// Begin returns the transaction as a [*Tx], whose statements evaluate the
// points of the DB that began it (as does the transaction a batch begins).
// A fault at pgx.commit rolls the transaction back before returning its
// error, or panicking, so an injected commit failure leaves none of the
// transaction's writes; the transaction is closed either way, as after a
// failed pgx Commit. A fault at pgx.rollback still rolls back first.
//
// # Invisible when disabled
//
// While no rule names a point, a call through the wrapper costs an
// interface call and one atomic load more than the bare call, and
// allocates nothing more; each transaction allocates its *Tx.
//
// A DB is as safe for concurrent use as what it wraps: a pool is, a
// *pgx.Conn and a pgx.Tx are not.
package chaospgx
