package chaosgo

import (
	"context"

	"github.com/faultline-go/faultline/chaos"
)

// Task is a goroutine started by [Go]. Its methods are safe for concurrent
// use, and may be called any number of times.
type Task struct {
	done chan struct{}
	err  error // written once, before done is closed
}

// Go starts fn on a new goroutine at fault point p, and returns at once.
// Keep p in a variable, made once with [chaos.Engine.Point], as for any
// point. The point decides on the caller's goroutine, and the fault is
// carried out on the new one before fn runs (see the package
// documentation): latency delays fn, waiting on ctx; a hang blocks until
// ctx ends; an injected panic is recovered like a real one; any other
// fault keeps fn from running and becomes the task's error. Observers of
// p's engine see ctx, so a fault shows on the caller's span. A nil p
// injects nothing: fn just runs on its goroutine, with panics recovered.
//
// fn receives ctx. Whatever happens, [Task.Wait] reports it: fn's error, the
// start error, a [*PanicError] for a panic (fn's own included), or
// [ErrGoexit]. A panic is never re-raised, so a Task that is dropped
// unwaited drops its panic too.
func Go(ctx context.Context, p *chaos.Point, fn func(ctx context.Context) error) *Task {
	d := p.Decide(ctx)
	t := &Task{done: make(chan struct{})}
	go func() {
		err := ErrGoexit // unless run returns
		defer func() {
			t.err = err
			close(t.done)
		}()
		err = run(ctx, p.Name(), d, func() error { return fn(ctx) })
	}()
	return t
}

// Wait blocks until the task's goroutine has ended and returns its error:
// nil, fn's error, the error of a start a fault stopped, a [*PanicError],
// or [ErrGoexit].
func (t *Task) Wait() error {
	<-t.done
	return t.err
}

// Done returns a channel that is closed when the task's goroutine has
// ended, for use in a select; [Task.Wait] then returns at once.
func (t *Task) Done() <-chan struct{} {
	return t.done
}
