// Package chaosgo puts fault points at the start of goroutines, and runs
// goroutines so that a panic, injected or real, becomes an error instead of
// a crash.
//
// Two entry points share one behaviour:
//
//   - [Go] starts one goroutine at a fault point and returns a [*Task] whose
//     [Task.Wait] reports how it ended.
//   - [Group] is an errgroup-shaped set of goroutines: [WithContext], [Group.Go],
//     [Group.TryGo], [Group.SetLimit] and [Group.Wait], plus [Group.GoPoint] and
//     [Group.TryGoPoint], which start a goroutine at a fault point.
//
// A fault point is a [*chaos.Point], made once with [chaos.Engine.Point]
// and kept in a variable, as for any point:
//
//	var reindex = engine.Point("reindex")
//	…
//	task := chaosgo.Go(ctx, reindex, work)
//
// A nil *chaos.Point injects nothing: the goroutine runs as with [Group.Go],
// its panics still recovered.
//
// At a fault point the decision is taken on the caller's goroutine, when the
// goroutine is started, so that with a fixed seed the n-th goroutine started
// at a point meets the same fault on every run, however the scheduler orders
// the goroutines. The fault is then carried out on the new goroutine, before
// the function runs:
//
//   - latency delays the start (the caller does not wait); if the context ends
//     first, the function does not run;
//   - a hang blocks the start until the context ends, and the function does
//     not run;
//   - a panic panics on the new goroutine, where it is recovered into a
//     [*PanicError] like any other panic;
//   - every other kind (error, and the transport kinds) fails the start with
//     the injected error, and the function does not run.
//
// Every error a failed start makes matches [faults.ErrInjected] with
// [errors.Is], and so does the [*PanicError] of an injected panic.
//
// A panic in the function itself is recovered too, with its stack, and
// reported the same way: through [Task.Wait] or [Group.Wait]. That is the
// point of this package, and the one way it differs from the go statement:
// a panic that a plain goroutine would turn into a crash is handed to whoever
// waits. Code that drops the [*Task] drops the panic with it; keep the Task,
// or use a [Group].
package chaosgo
