//go:build !unix

package source

// openFlags are the extra flags a plan file is opened with; only Unix has
// FIFOs that an open would block on.
const openFlags = 0
