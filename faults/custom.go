package faults

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// Func is the behaviour of a custom fault kind: it runs at the point that
// fired, with the call's context and the point's name, and returns nil for
// the call to go on or an error for it to fail with (the engine wraps it
// in an [*InjectedError], which unwraps to it). It may block, but should
// honour ctx. It must be safe for concurrent use.
type Func func(ctx context.Context, point string) error

// ErrRegistered is matched by the error of a [Register] that names a
// custom fault already registered.
var ErrRegistered = errors.New("faults: custom fault already registered")

// MaxNameLen is the longest name a custom fault may have.
const MaxNameLen = 64

var (
	registryMu sync.Mutex                      // orders Register
	registry   atomic.Pointer[map[string]Func] // copied on write; read without a lock
)

// Register makes fn the custom fault called name, which plans then name as
// custom(name), or as the bare name (see [ParseFault]). A name is 1 to 64
// lowercase letters, digits, '_', '-' and '.', starting with a letter, and
// is neither a kind nor a fault form ("delay", "cancel", …). A name is
// registered once, for the life of the process: registering it again
// fails with [ErrRegistered], so register at init or in TestMain. The
// registry's lock is taken only here; a plan looks its functions up
// when it is validated and compiled, never per call. Register is safe
// for concurrent use.
func Register(name string, fn Func) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("faults: register %q: %w", name, err)
	}
	if fn == nil {
		return fmt.Errorf("faults: register %q: nil function", name)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	old := registry.Load()
	if old != nil && (*old)[name] != nil {
		return fmt.Errorf("faults: register %q: %w", name, ErrRegistered)
	}
	m := make(map[string]Func, 1)
	if old != nil {
		m = maps.Clone(*old)
	}
	m[name] = fn
	registry.Store(&m)
	return nil
}

// Lookup returns the function registered as the custom fault name, or nil.
// It takes no lock.
func Lookup(name string) Func {
	if m := registry.Load(); m != nil {
		return (*m)[name]
	}
	return nil
}

// Registered returns the names of the custom faults registered, sorted.
func Registered() []string {
	if m := registry.Load(); m != nil {
		return slices.Sorted(maps.Keys(*m))
	}
	return nil
}

// reserved are the names a custom fault may not take: the kinds and the
// forms of the text format.
var reserved = []string{"delay", "cancel", "normal", "lognormal", "pareto", "uniform", "oneof"}

// validName returns what is wrong with name as a custom fault's name.
func validName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > MaxNameLen:
		return fmt.Errorf("name longer than %d bytes", MaxNameLen)
	case name[0] < 'a' || name[0] > 'z':
		return errors.New("name must start with a lowercase letter")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("name holds %q; use lowercase letters, digits, '_', '-' and '.'", c)
		}
	}
	if _, err := ParseKind(name); err == nil || slices.Contains(reserved, name) {
		return errors.New("name is reserved for a built-in fault")
	}
	return nil
}

// checkCustom returns the validation error of a Custom fault called name.
func checkCustom(name string) error {
	switch {
	case name == "":
		return errors.New("name: a custom fault needs a name")
	case Lookup(name) == nil:
		return fmt.Errorf("name: no custom fault %q is registered", name)
	}
	return nil
}
