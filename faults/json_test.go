package faults_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/faultline-go/faultline/faults"
)

func TestFaultJSON(t *testing.T) {
	tests := []struct {
		fault faults.Fault
		json  string
	}{
		{faults.Latency(200 * time.Millisecond), `{"kind":"latency","delay":"200ms"}`},
		{faults.LatencyJitter(time.Second, time.Millisecond), `{"kind":"latency","delay":"1s","jitter":"1ms"}`},
		{faults.Error("timeout"), `{"kind":"error","message":"timeout"}`},
		{faults.Fault{Kind: faults.KindError, Code: 503}, `{"kind":"error","code":503}`},
		{faults.Panic(""), `{"kind":"panic"}`},
		{faults.Hang(), `{"kind":"hang"}`},
		{faults.HTTPStatus(429, "slow down"), `{"kind":"status","code":429,"body":"slow down"}`},
		{faults.Abort(), `{"kind":"abort"}`},
		{faults.BadConn(), `{"kind":"badconn"}`},
		{faults.Corrupt(), `{"kind":"corrupt"}`},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			b, err := json.Marshal(tt.fault)
			if err != nil || string(b) != tt.json {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tt.json)
			}
			var back faults.Fault
			if err := json.Unmarshal(b, &back); err != nil || back != tt.fault {
				t.Errorf("Unmarshal(%s) = %+v, %v", b, back, err)
			}
			// The text form is accepted as a JSON string too.
			s, _ := json.Marshal(tt.fault.String())
			var fromText faults.Fault
			if err := json.Unmarshal(s, &fromText); err != nil || fromText != tt.fault {
				t.Errorf("Unmarshal(%s) = %+v, %v", s, fromText, err)
			}
		})
	}
}

func TestFaultJSONErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // a substring of the error
	}{
		{`{"kind":"latency","delay":"soon"}`, `delay: "soon" is not a duration`},
		{`{"kind":"latency","delay":"1s","jitter":"x"}`, `jitter: "x" is not a duration`},
		{`{"kind":"explode"}`, `faults: unknown kind "explode"`},
		{`{"kind":"error","colour":"red"}`, `unknown field "colour"`},
		{`{"kind":"error","code":"503"}`, `cannot unmarshal string`},
		{`"explode(1)"`, `unknown fault "explode"`},
		{`"delay(1s"`, `missing )`},
		{`"\q"`, `invalid character`},
		{`[1]`, `cannot unmarshal array`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f := faults.Abort()
			err := json.Unmarshal([]byte(tt.in), &f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Unmarshal(%s) = %v, want an error containing %q", tt.in, err, tt.want)
			}
		})
	}
	// UnmarshalJSON does not validate: the object form may decode to an
	// invalid fault that Validate then reports.
	var f faults.Fault
	if err := json.Unmarshal([]byte(`{"kind":"latency"}`), &f); err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err == nil {
		t.Error("a latency fault without a delay validated")
	}
}
