//go:build unix

package source

import "syscall"

// openFlags opens a plan file without blocking, should it have turned
// into a FIFO between the check of its mode and the open.
const openFlags = syscall.O_NONBLOCK
