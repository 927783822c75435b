// Package chaossql puts fault points into a database/sql driver, so that a
// service's database calls can be made slow or failing by a faultline plan,
// and behave exactly as before while no plan names them.
//
// Wrap a [driver.Connector], or a [driver.Driver] for DSN use:
//
//	db := sql.OpenDB(chaossql.Wrap(connector, engine))
//	db, err := chaossql.Open("sqlite", "file:app.db", engine)
//	sql.Register("sqlite+chaos", chaossql.WrapDriver(&sqlite.Driver{}, engine))
//
// # Points
//
// Each wrapper evaluates these points, named under "sql." (see [WithPrefix]):
//
//	sql.connect   Connector.Connect and Driver.Open: a new connection
//	sql.ping      Pinger.Ping
//	sql.begin     starting a transaction
//	sql.commit    Tx.Commit
//	sql.rollback  Tx.Rollback
//	sql.prepare   preparing a statement
//	sql.exec      executing a statement, prepared or not
//	sql.query     running a query, prepared or not
//	sql.rows      each Rows.Next of a result set, the one that finds its end included
//
// The SQL text never becomes a point name, so the engine holds nine points
// per prefix however many statements run.
//
// # Statement classes
//
// Which point a statement reaches depends on the driver method that
// carries it, not on what it does: database/sql sends what the caller
// passes to Exec through sql.exec, and what it passes to Query or QueryRow
// through sql.query. An INSERT … RETURNING, which ORMs such as gorm send
// to read back generated keys, therefore arrives on sql.query, and so may
// an UPDATE or DELETE … RETURNING. So the prepare, exec, query and rows
// points carry the label stmt ([StmtLabel]), the statement's class as
// [Classify] works it out from the SQL text, and a rule selects a class
// with "label.stmt=" whichever method carried it:
//
//	sql.*=error[label.stmt=insert]           every insert, RETURNING or not
//	sql.exec=error[label.stmt=insert]        only inserts sent through Exec
//	sql.query=50%delay(100ms)[label.stmt=select]
//
// The classes ([Classify] says exactly how they are found):
//
//	select  SELECT, VALUES, TABLE; WITH … followed by one of them
//	insert  INSERT (RETURNING, ON CONFLICT and other upserts included),
//	        REPLACE, UPSERT; WITH … followed by one of them
//	update  UPDATE; WITH … UPDATE
//	delete  DELETE; WITH … DELETE
//	merge   MERGE; WITH … MERGE
//	ddl     CREATE, ALTER, DROP, TRUNCATE, RENAME
//	tx      BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT,
//	        SAVEPOINT, RELEASE, sent as SQL text
//	other   anything else: PRAGMA, SET, EXPLAIN, an empty statement, …
//
// The class is worked out only when a rule names the point, and for a
// prepared statement once. Transactions started with BeginTx reach
// sql.begin, sql.commit and sql.rollback and carry no class; a "BEGIN"
// sent with Exec reaches sql.exec as class tx. Labels a call's context
// carries ([chaos.WithLabels]) are matched too, at every point.
//
// # Faults
//
// A fault fires before the driver call it guards, so an injected error means
// the call did not reach the driver:
//
//   - latency waits, then makes the call; if the context ends first, the
//     call returns the context's error without being made.
//   - error, and the HTTP kinds status and corrupt, which have no meaning
//     for SQL, return the injected error, which matches
//     [faults.ErrInjected].
//   - badconn returns an error that matches [driver.ErrBadConn], so
//     database/sql discards the connection and retries the call on another,
//     as it does for a real broken connection. abort, a connection cut
//     mid-call, does the same, and its error also matches
//     syscall.ECONNRESET. Either fault leaves the connection broken: every
//     later call on it fails with an error matching [ErrBrokenConn] and
//     driver.ErrBadConn, and database/sql will not reuse it.
//   - panic panics with the injected error; database/sql does not recover
//     it, so it reaches the caller as a panicking driver's would.
//   - hang blocks until the call's context is done and returns its error.
//     With a context that is never done, it blocks for ever, as a hung
//     server would.
//
// The driver's Tx.Commit, Tx.Rollback and Rows.Next take no context: their
// points use the context given to BeginTx and to the query, which is also
// what a latency or hang there ends with.
//
// # Transactions
//
// A fault at sql.commit is injected before the driver's Commit is called,
// and the wrapper then rolls the driver's transaction back: an injected
// commit failure leaves none of the transaction's writes visible, and the
// connection clean. A fault at sql.rollback still rolls the transaction back
// before returning the injected error. A failure injected into a statement
// of a transaction is an ordinary error: once the caller rolls back, the
// database is as it was before the transaction. A panic fault at either
// point also rolls the driver's transaction back first.
//
// # Invisible when disabled
//
// While no rule names a point, a call through the wrapper costs a method
// call and two atomic loads (the connection's broken flag and the point's
// rule) more than the bare driver, and allocates nothing more; each
// connection, prepared statement and transaction start allocates its small
// wrapper once (transactions reuse one held by the connection). Result sets
// are wrapped only while a rule names sql.rows, so a rule for sql.rows
// applies to result sets opened after it was applied.
//
// database/sql changes its behaviour by type assertions on the driver's
// values, so the wrappers mirror the optional interfaces of the values they
// wrap, without a type per combination:
//
//   - Where database/sql's handling of a missing interface can be reproduced
//     by a method, the wrapper always has the method, and when the wrapped
//     value lacks the interface it does what database/sql would have done:
//     ExecerContext and QueryerContext fall back to the driver's Execer and
//     Queryer, or return [driver.ErrSkip] so that database/sql prepares the
//     statement; a connection's NamedValueChecker returns driver.ErrSkip,
//     which sends database/sql to its default conversion, and a statement's
//     defers to its connection's, as database/sql does; ConnPrepareContext,
//     ConnBeginTx, StmtExecContext and StmtQueryContext call the methods
//     without a context and check the context as database/sql does; Pinger
//     returns nil; the RowsColumnType methods return the values database/sql
//     uses without them; RowsNextResultSet reports no further result set.
//   - Where the mere presence of an interface changes what database/sql
//     does, the wrapper mirrors it exactly: a connection has
//     SessionResetter and Validator only if the driver's connection has them
//     (together they let database/sql keep a connection after a cancelled
//     transaction), so there are four connection types; a statement has
//     ColumnConverter only if the driver's statement has it (it changes how
//     arguments are converted), so there are two statement types.
//   - The connector always implements io.Closer and calls the wrapped
//     connector's Close if it has one.
//
// A connection's Unwrap method returns the driver's connection, for code
// that reaches it through [database/sql.Conn.Raw], such as modernc.org/sqlite's
// Limit.
//
// Every wrapper is as safe for concurrent use as the value it wraps:
// connectors and drivers are, and database/sql uses a connection, its
// statements and its result sets from one goroutine at a time.
package chaossql
