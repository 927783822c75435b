package chaosecho_test

import (
	"io"
	"log"
)

// discardLog returns a logger for a server whose expected panics the test
// output need not show.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
