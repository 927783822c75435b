package chaosfx_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// app the tests start must stop its sources.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
