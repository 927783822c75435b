// Package bench compares the cost of faultline on a hot path with the
// libraries a Go user would otherwise pick: gofail's runtime failpoints,
// pingcap/failpoint's Eval, failsafe-go's retry and circuit breaker, and raw
// sony/gobreaker and cenkalti/backoff/v4.
//
// It is a module of its own (github.com/faultline-go/faultline/bench) with a
// replace directive to the parent, so the peers it imports never reach the
// module graph of faultline's users. It holds no code to import: only
// benchmarks, a test that each peer is configured so that it really fires,
// and the scripts around them.
//
// Every benchmark name has the form
//
//	Benchmark<Workload>/case=<case>/lib=<library>/mode=<serial|parallel>
//
// so that benchstat can put libraries side by side (-col /lib), and
// BenchmarkFloor (a bare atomic.Pointer load and nil check) is the floor every
// row is divided by. Every row, the floor included, runs in one harness
// that calls the measured code through a func value, so each pays the same
// indirect call and the ratios compare the libraries alone. Run ./run.sh for the table in README.md, and ./ci.sh for
// the quick check that everything compiles and runs.
package bench
