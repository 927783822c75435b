package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want result
		ok   bool
	}{
		{
			name: "full",
			line: "BenchmarkFloor/mode=serial-2   \t1000000000\t         0.3105 ns/op\t       0 B/op\t       0 allocs/op",
			want: result{name: "BenchmarkFloor/mode=serial", nsPerOp: 0.3105, hasMem: true},
			ok:   true,
		},
		{
			name: "no memory",
			line: "BenchmarkX-8 100 12.5 ns/op",
			want: result{name: "BenchmarkX", nsPerOp: 12.5},
			ok:   true,
		},
		{
			name: "extra metric",
			line: "BenchmarkX 10 3 ns/op 7 B/op 1 allocs/op 42 widgets/op",
			want: result{name: "BenchmarkX", nsPerOp: 3, bPerOp: 7, allocs: 1, hasMem: true},
			ok:   true,
		},
		{name: "header", line: "goos: linux", ok: false},
		{name: "fail line", line: "--- FAIL: BenchmarkX", ok: false},
		{name: "name only", line: "BenchmarkX/mode=serial", ok: false},
		{name: "no ns/op", line: "BenchmarkX 10 7 B/op 1 allocs/op", ok: false},
		{name: "bad count", line: "BenchmarkX ten 3 ns/op 0 B/op", ok: false},
		{name: "bad value", line: "BenchmarkX 10 fast ns/op 0 B/op", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseLine(tt.line)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTrimProcs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"BenchmarkX-2", "BenchmarkX"},
		{"BenchmarkX/case=a-b/mode=serial-16", "BenchmarkX/case=a-b/mode=serial"},
		{"BenchmarkX/case=a-b", "BenchmarkX/case=a-b"},
		{"BenchmarkX-y", "BenchmarkX-y"},
		{"BenchmarkX", "BenchmarkX"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := trimProcs(tt.in); got != tt.want {
				t.Errorf("trimProcs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ name, row, lib, mode string }{
		{"BenchmarkPoint/case=fire/lib=gofail/mode=parallel", "Point/fire", "gofail", "parallel"},
		{"BenchmarkFloor/mode=serial", "Floor", "", "serial"},
		{"BenchmarkPlain", "Plain", "", "serial"},
		{"BenchmarkX/size=10/lib=a", "X/size=10", "a", "serial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row, lib, mode := key(tt.name)
			if row != tt.row || lib != tt.lib || mode != tt.mode {
				t.Errorf("key(%q) = %q, %q, %q; want %q, %q, %q", tt.name, row, lib, mode, tt.row, tt.lib, tt.mode)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{3}, 3},
		{"odd", []float64{5, 1, 3}, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	in := `goos: linux
BenchmarkFloor/mode=serial-2     1000  0.50 ns/op  0 B/op  0 allocs/op
BenchmarkFloor/mode=parallel-2   1000  0.25 ns/op  0 B/op  0 allocs/op
BenchmarkPoint/case=fire/lib=a/mode=serial-2    1000  10 ns/op  0 B/op  0 allocs/op
BenchmarkPoint/case=fire/lib=a/mode=parallel-2  1000  30 ns/op  0 B/op  0 allocs/op
BenchmarkFloor/mode=serial-2     1000  0.70 ns/op  0 B/op  0 allocs/op
BenchmarkFloor/mode=parallel-2   1000  0.35 ns/op  0 B/op  0 allocs/op
BenchmarkPoint/case=fire/lib=a/mode=serial-2    1000  14 ns/op  0 B/op  0 allocs/op
BenchmarkPoint/case=fire/lib=a/mode=parallel-2  1000  30 ns/op  0 B/op  0 allocs/op
BenchmarkRetry/lib=b/mode=serial-2  1000  150 ns/op  136 B/op  3 allocs/op
PASS
`
	want := `| benchmark | lib | serial ns/op | × floor | parallel ns/op | × floor | B/op | allocs/op | runs |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| Floor | — | 0.60 | 1.0× | 0.30 | 1.0× | 0 | 0 | 2 |
| Point/fire | a | 12.0 | 20× | 30.0 | 100× | 0 | 0 | 2 |
| Retry | b | 150 | 250× | | | 136 | 3 | 1 |
`
	var out bytes.Buffer
	if err := run(&out, strings.NewReader(in), nil, "BenchmarkFloor"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderNoFloor(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, strings.NewReader("BenchmarkX 10 3 ns/op\n"), nil, "BenchmarkFloor"); err != nil {
		t.Fatal(err)
	}
	if want := "| X | — | 3.00 |  | | | 1 |"; !strings.Contains(out.String(), want) {
		t.Errorf("table without a floor:\n%s\nwant a row %q", out.String(), want)
	}
}

func TestRunErrors(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, strings.NewReader("PASS\n"), nil, "BenchmarkFloor"); !errors.Is(err, errNoResults) {
		t.Errorf("empty input: err = %v, want %v", err, errNoResults)
	}
	if err := run(&out, nil, []string{"testdata/does-not-exist"}, "BenchmarkFloor"); err == nil {
		t.Error("missing file: err = nil")
	}
}

// FuzzParseLine checks that no line makes the parser panic, and that a line
// it accepts names a benchmark that key can split.
func FuzzParseLine(f *testing.F) {
	f.Add("BenchmarkFloor/mode=serial-2 1000 0.31 ns/op 0 B/op 0 allocs/op")
	f.Add("BenchmarkX-8 100 12.5 ns/op")
	f.Add("BenchmarkX 10 3 ns/op 7 B/op 1 allocs/op 42 widgets/op")
	f.Add("goos: linux")
	f.Add("Benchmark- 1 1 ns/op")
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := parseLine(line)
		if !ok {
			return
		}
		if !strings.HasPrefix(r.name, "Benchmark") {
			t.Errorf("accepted %q with name %q", line, r.name)
		}
		if _, _, mode := key(r.name); mode == "" && !strings.Contains(r.name, "mode=") {
			t.Errorf("key(%q) gave no mode", r.name)
		}
	})
}
