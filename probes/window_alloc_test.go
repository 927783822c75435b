package probes_test

import (
	"errors"
	"testing"
	"time"

	"github.com/faultline-go/faultline/probes"
)

// TestWindowRecordAllocs holds the request path at zero allocations.
func TestWindowRecordAllocs(t *testing.T) {
	errFail := errors.New("fail")
	var zero probes.SampleWindow
	zero.Record(true, 0) // the first Record of a zero Window makes its ring
	windows := map[string]*probes.SampleWindow{
		"plain":   probes.NewSampleWindow(64),
		"max-age": probes.NewSampleWindow(64, probes.WithMaxAge(time.Minute)),
		"zero":    &zero,
	}
	for name, w := range windows {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			calls := map[string]func(){
				"Record":  func() { w.Record(true, time.Millisecond) },
				"Observe": func() { w.Observe(start, errFail) },
			}
			for call, f := range calls {
				if got := testing.AllocsPerRun(1000, f); got != 0 {
					t.Errorf("%s allocates %v times per call, want 0", call, got)
				}
			}
		})
	}
}
