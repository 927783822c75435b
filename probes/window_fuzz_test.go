package probes_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/faultline-go/faultline/probes"
	"github.com/google/go-cmp/cmp"
)

// FuzzWindow feeds a window arbitrary samples and checks the snapshot
// against the model. The first byte picks the size; each following 8 bytes
// are one sample: the low bit says ok, the rest is the latency in ns, which
// may be negative or huge.
func FuzzWindow(f *testing.F) {
	f.Add([]byte{3, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		size := int(data[0])
		if size == 0 {
			size = 1
		}
		var samples []sample
		for b := data[1:]; len(b) >= 8; b = b[8:] {
			v := int64(binary.LittleEndian.Uint64(b))
			samples = append(samples, sample{ok: v&1 == 1, latency: time.Duration(v >> 1)})
		}
		w := probes.NewSampleWindow(size)
		for _, s := range samples {
			w.Record(s.ok, s.latency)
		}
		if diff := cmp.Diff(model(samples, size), w.Snapshot()); diff != "" {
			t.Fatalf("Snapshot() differs from the model (-model +got):\n%s", diff)
		}
	})
}
