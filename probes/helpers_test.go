package probes_test

import (
	"context"
	"github.com/google/go-cmp/cmp/cmpopts"
	"strings"
	"testing"

	"github.com/faultline-go/faultline/probes"
)

// ctxOr returns ctx, or the test's context when ctx is nil.
func ctxOr(t *testing.T, ctx context.Context) context.Context {
	if ctx == nil {
		return t.Context()
	}
	return ctx
}

// checkLoose checks a Result measured on real time, where latencies vary:
// its probe name and OK, the start and end of Observed, and the start of
// Err (wantErr "" wants none).
func checkLoose(t *testing.T, got probes.Result, probe string, wantOK bool, wantPrefix, wantSuffix, wantErr string) {
	t.Helper()
	if got.Probe != probe || got.OK != wantOK ||
		!strings.HasPrefix(got.Observed, wantPrefix) || !strings.HasSuffix(got.Observed, wantSuffix) ||
		!strings.HasPrefix(got.Err, wantErr) || (wantErr == "") != (got.Err == "") {
		t.Errorf("Check() = %+v\nwant probe %q, OK %v, Observed %q...%q, Err %q...", got, probe, wantOK, wantPrefix, wantSuffix, wantErr)
	}
	if got.Duration < 0 {
		t.Errorf("Duration = %v, want >= 0", got.Duration)
	}
}

// proseOnly compares Results by their prose (probe, OK, Observed, Err,
// Duration); TestResultNumbers checks the figures.
var proseOnly = cmpopts.IgnoreFields(probes.Result{}, "Metric", "Value", "Threshold", "Unit", "Samples", "MinSamples")
