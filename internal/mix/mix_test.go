package mix

import (
	"math"
	"testing"
)

func TestStringKnownValues(t *testing.T) {
	// FNV-1a test vectors.
	tests := []struct {
		in   string
		want uint64
	}{
		{"", 0xcbf29ce484222325},
		{"a", 0xaf63dc4c8601ec8c},
		{"foobar", 0x85944171f73967e8},
	}
	for _, tt := range tests {
		if got := String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
}

func TestThreshold(t *testing.T) {
	if Threshold(0) != 0 || Threshold(-1) != 0 {
		t.Error("Threshold(<=0) must be 0")
	}
	if Threshold(1) != math.MaxUint64 || Threshold(2) != math.MaxUint64 {
		t.Error("Threshold(>=1) must be max")
	}
	if got, want := Threshold(0.5), uint64(1)<<63; got != want {
		t.Errorf("Threshold(0.5) = %d, want %d", got, want)
	}
	if Below(math.MaxUint64-1, Threshold(0.5)) || !Below(math.MaxUint64, Threshold(1)) || Below(0, 0) {
		t.Error("Below disagrees with its thresholds")
	}
}

func TestMixUniform(t *testing.T) {
	// Sequential inputs must spread over the output range: count the top bit.
	const n = 100000
	ones := 0
	for i := uint64(0); i < n; i++ {
		if Mix3(42, 7, i)>>63 == 1 {
			ones++
		}
	}
	if ones < n/2-1000 || ones > n/2+1000 {
		t.Errorf("top bit set %d of %d times; want about half", ones, n)
	}
}

// TestMix3IsNested pins the identity the engine's hot path relies on: it
// precomputes Mix(Mix(a)^b) once per point and rule, and then draws
// Mix(key^c) per call, which must equal Mix3(a, b, c).
func TestMix3IsNested(t *testing.T) {
	for _, v := range [][3]uint64{{0, 0, 0}, {1, 2, 3}, {math.MaxUint64, 42, 7}} {
		key := Mix(Mix(v[0]) ^ v[1])
		if Mix(key^v[2]) != Mix3(v[0], v[1], v[2]) {
			t.Errorf("Mix3%v differs from its nested form", v)
		}
	}
}

// TestMixIsBijective spot-checks that distinct inputs give distinct
// outputs.
func TestMixIsBijective(t *testing.T) {
	seen := make(map[uint64]uint64, 1<<16)
	for i := uint64(0); i < 1<<16; i++ {
		h := Mix(i)
		if j, ok := seen[h]; ok {
			t.Fatalf("Mix(%d) == Mix(%d)", i, j)
		}
		seen[h] = i
	}
}

// TestThresholdIsMonotonic: a higher probability never gives a lower
// threshold, so the draws in at one rate are in at every higher rate.
func TestThresholdIsMonotonic(t *testing.T) {
	prev := uint64(0)
	for i := 0; i <= 10000; i++ {
		th := Threshold(float64(i) / 10000)
		if th < prev {
			t.Fatalf("Threshold(%v) = %d < Threshold of a lower rate %d", float64(i)/10000, th, prev)
		}
		prev = th
	}
	if Threshold(math.Nextafter(1, 0)) == math.MaxUint64 {
		t.Error("a rate just below 1 is treated as always")
	}
}
