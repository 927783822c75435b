// Package chaosredis puts fault points into a go-redis v9 client, so that a
// service's Redis calls can be made slow or failing by a faultline plan, and
// behave exactly as before while no plan names them.
//
// Add the hook to a client, or wrap the client, which also names its
// address in injected errors:
//
//	rdb.AddHook(chaosredis.Hook(engine))
//	rdb := chaosredis.Wrap(redis.NewClient(opt), engine)
//
// # Points
//
// Each hook evaluates these points, named under "redis." (see [WithPrefix]):
//
//	redis.<command>    each command, by go-redis's lower-case name of it:
//	                   redis.get, redis.set, redis.hgetall, …
//	redis.pipeline     a pipeline (Client.Pipelined, Pipeline().Exec)
//	redis.txpipeline   a MULTI/EXEC transaction (TxPipelined, Watch)
//	redis.dial         each new connection the client's pool opens
//
// Command names come from the program's code, not from its input, so they
// form a small set; [WithMaxPoints] bounds it all the same, and counts
// commands beyond the bound at redis.(other). A command's point fires for it
// alone and for it inside a pipeline or a transaction, so that a rule for
// redis.get fails every GET. The key never becomes part of a point name;
// labels a call's context carries ([chaos.WithLabels]) are matched.
//
// # Faults
//
// A fault fires before go-redis sends the command, so an injected error
// means the command did not reach the server. The hook runs outside
// go-redis's retry loop, as every hook does: an injected command error is
// not retried by go-redis, and reaches the caller as the network error it
// looks like, for the caller's own retry logic to judge.
//
//   - error (and status and corrupt, which mean nothing to Redis) fails
//     the command with a *net.OpError, "read tcp ADDR: faultline: injected
//     error at redis.get: MSG", whose cause matches both
//     [faults.ErrInjected] and io.EOF: what go-redis returns when the
//     server closes the connection. go-redis's shouldRetry retries io.EOF
//     and any net.Error, and its isBadConn drops a connection on any error
//     that is not a Redis reply, so code written against those errors
//     takes the injected one for a network failure. It is not a
//     redis.Error: redis.HasErrorPrefix is false for it, as for a real
//     network error.
//   - abort and badconn do the same with a cause that matches
//     syscall.ECONNRESET: a connection reset by the server.
//   - latency waits, then sends the command; if the context ends first,
//     the command fails with the context's error, unsent.
//   - hang blocks until the context is done and fails with its error, or,
//     at the hang's bound, with a *net.OpError that is a timeout
//     (net.Error.Timeout is true, and it matches os.ErrDeadlineExceeded),
//     as a read deadline on a server that never answers does.
//   - panic panics with the injected error.
//
// At redis.dial the error is a *net.OpError with Op "dial", whose cause
// matches syscall.ECONNREFUSED for an error fault. go-redis does retry
// those: its pool redials, and shouldRetry retries any dial error, so one
// injected dial failure is a slower command, not a failed one.
//
// In a pipeline, a fault at redis.pipeline fails every command and sends
// nothing. A fault at a command's own point fails that command, which is
// left out of what is sent, and the others run; the pipeline's error is
// its first failed command's, as go-redis reports it. In a transaction, a
// fault at redis.txpipeline or at any command's point fails every command
// and sends nothing, so no write of the transaction happens.
//
// # Invisible when disabled
//
// While no rule of the engine is armed, a command or pipeline through the
// hook costs two atomic loads ([chaos.Engine.Armed]) and allocates nothing
// more. While some rule is, each command looks its point up in a map that
// is copied on write and evaluates it; a pipeline with a failed command
// allocates the slice of those it still sends.
//
// The hook is safe for concurrent use, as go-redis's hooks must be.
package chaosredis
