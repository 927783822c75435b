package probes

import "errors"

// These errors give the Err text of failed checks. Results carry the text,
// not the error, so callers read Result.Err rather than match these.
var (
	errNilFunc   = errors.New("probes: nil func")
	errNilDB     = errors.New("probes: nil *sql.DB")
	errNilWindow = errors.New("probes: nil *SampleWindow")
	errPanic     = errors.New("probes: panic")
)
