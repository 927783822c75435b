package bench

import "testing"

// BenchmarkFloor is the floor every row is divided by: a bare
// atomic.Pointer load and nil check, the least a switchable point can cost.
func BenchmarkFloor(b *testing.B) {
	benchFloor(b)
}

// BenchmarkPoint evaluates one fault point per call, with each library and
// each of pointCases (disabled, armed at 1%, firing on every call).
func BenchmarkPoint(b *testing.B) {
	for _, c := range pointCases {
		b.Run("case="+c.name, func(b *testing.B) {
			b.Run("lib=faultline", func(b *testing.B) { benchFaultlinePoint(b, c) })
			b.Run("lib=gofail", func(b *testing.B) { benchGofailPoint(b, c) })
			b.Run("lib=pingcap", func(b *testing.B) { benchPingcapPoint(b, c) })
		})
	}
}

// BenchmarkBreaker runs an op that succeeds through a closed circuit breaker
// shared by every goroutine.
func BenchmarkBreaker(b *testing.B) {
	b.Run("case=success", func(b *testing.B) {
		b.Run("lib=faultline", benchFaultlineBreaker)
		b.Run("lib=gobreaker", benchGobreaker)
		b.Run("lib=failsafe", benchFailsafeBreaker)
	})
}

// BenchmarkRetry runs an op that succeeds at the first attempt under a retry
// policy of 3 attempts with exponential backoff.
func BenchmarkRetry(b *testing.B) {
	b.Run("case=success", func(b *testing.B) {
		b.Run("lib=faultline", benchFaultlineRetry)
		b.Run("lib=backoff", benchBackoffRetry)
		b.Run("lib=failsafe", benchFailsafeRetry)
	})
}
