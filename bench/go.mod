module github.com/faultline-go/faultline/bench

go 1.26.0

replace github.com/faultline-go/faultline => ../

require (
	github.com/cenkalti/backoff/v4 v4.3.0
	github.com/failsafe-go/failsafe-go v0.9.8
	github.com/faultline-go/faultline v0.0.0-00010101000000-000000000000
	github.com/pingcap/failpoint v0.0.0-20240528011301-b51a646c7c86
	github.com/sony/gobreaker v1.0.0
	go.etcd.io/gofail v0.2.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/aclements/go-moremath v0.0.0-20210112150236-f10218a38794 // indirect
	github.com/bits-and-blooms/bitset v1.24.4 // indirect
	github.com/pingcap/errors v0.11.4 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da // indirect
)

tool golang.org/x/perf/cmd/benchstat
