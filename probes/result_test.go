package probes_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/faultline-go/faultline/probes"
	"github.com/google/go-cmp/cmp"
)

// TestResultJSON pins the JSON form of a Result, which experiment reports
// embed.
func TestResultJSON(t *testing.T) {
	tests := []struct {
		name string
		r    probes.Result
		want string
	}{
		{
			name: "ok",
			r:    probes.Result{Probe: "api", OK: true, Observed: "status 200 in 12ms (want 2xx)", Duration: 12 * time.Millisecond},
			want: `{"probe":"api","ok":true,"observed":"status 200 in 12ms (want 2xx)","duration":12000000}`,
		},
		{
			name: "failed",
			r:    probes.Result{Probe: "api", Observed: "status 503 in 1ms (want 2xx)", Err: "probes: status 503, want 2xx", Duration: time.Millisecond},
			want: `{"probe":"api","ok":false,"observed":"status 503 in 1ms (want 2xx)","error":"probes: status 503, want 2xx","duration":1000000}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(b) != tt.want {
				t.Errorf("Marshal = %s, want %s", b, tt.want)
			}
			var back probes.Result
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.r, back); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
