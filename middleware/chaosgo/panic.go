package chaosgo

import (
	"errors"
	"fmt"
)

// ErrGoexit is the error of a goroutine whose function called
// [runtime.Goexit] (as testing.T.FailNow does) instead of returning.
var ErrGoexit = errors.New("chaosgo: goroutine called runtime.Goexit")

// PanicError is the error of a goroutine that panicked, whether the panic
// was injected at its fault point or raised by its function. Find it with
// [errors.As]. An injected panic's Value is a *faults.InjectedError, so
// errors.Is(err, faults.ErrInjected) tells it from a real one.
//
// A PanicError is not modified after it is made, and may be shared between
// goroutines.
type PanicError struct {
	// Point is the fault point the goroutine started at; empty for a
	// goroutine started without one ([Group.Go]).
	Point string
	// Value is the value the goroutine panicked with, as recover returned
	// it.
	Value any
	// Stack is the goroutine's stack at the panic, as [runtime/debug.Stack]
	// formats it.
	Stack []byte
}

// Error returns "chaosgo: goroutine panicked: VALUE", naming the point when
// there is one. The stack is left out: it is in the Stack field.
func (e *PanicError) Error() string {
	if e.Point != "" {
		return fmt.Sprintf("chaosgo: goroutine at %s panicked: %v", e.Point, e.Value)
	}
	return fmt.Sprintf("chaosgo: goroutine panicked: %v", e.Value)
}

// Unwrap returns Value if it is an error, and nil otherwise, so that
// errors.Is and errors.As see through a panic with an error value.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
