// Command ratio reads the output of go test -bench (any number of -count
// runs) and prints a Markdown table of medians, with each row's ratio to the
// floor benchmark of the same mode.
//
// Benchmark names are expected in the form used by the bench module,
//
//	Benchmark<Workload>/case=<case>/lib=<library>/mode=<serial|parallel>
//
// but any name works: the mode= part picks the column (a name without one
// counts as serial), the lib= part fills the library column, and every other
// part names the row. The floor is the benchmark named by -floor, by default
// BenchmarkFloor.
//
// Usage:
//
//	go test -bench=. -count=6 | go run ./internal/ratio
//	go run ./internal/ratio results.txt
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// errNoResults is returned when the input holds no benchmark line.
var errNoResults = errors.New("ratio: no benchmark results in the input")

func main() {
	floor := flag.String("floor", "BenchmarkFloor", "name of the floor benchmark, without its /mode=… part")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: ratio [-floor name] [file ...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, os.Stdin, flag.Args(), *floor); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run reads the files (stdin if none) and writes the table to w.
func run(w io.Writer, stdin io.Reader, files []string, floor string) error {
	t := newTable()
	if len(files) == 0 {
		if err := t.read(stdin); err != nil {
			return fmt.Errorf("reading stdin: %w", err)
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("reading results: %w", err)
		}
		err = t.read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return t.render(w, floor)
}

// result is one line of benchmark output.
type result struct {
	name                    string // full name, without the -GOMAXPROCS suffix
	nsPerOp, bPerOp, allocs float64
	hasMem                  bool
}

// parseLine parses a benchmark result line such as
//
//	BenchmarkX/mode=serial-2   1000   1.5 ns/op   0 B/op   0 allocs/op
//
// and reports false for any other line.
func parseLine(line string) (result, bool) {
	fields := strings.Fields(line)
	if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
		return result{}, false
	}
	if _, err := strconv.ParseUint(fields[1], 10, 64); err != nil {
		return result{}, false
	}
	r := result{name: trimProcs(fields[0])}
	seen := false
	for i := 2; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return result{}, false
		}
		switch fields[i+1] {
		case "ns/op":
			r.nsPerOp, seen = v, true
		case "B/op":
			r.bPerOp, r.hasMem = v, true
		case "allocs/op":
			r.allocs, r.hasMem = v, true
		}
	}
	if !seen {
		return result{}, false
	}
	return r, true
}

// trimProcs removes the -N suffix go test adds for GOMAXPROCS.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i < strings.LastIndexByte(name, '/') {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// key splits a benchmark name into its row (every part but lib= and mode=),
// its library and its mode.
func key(name string) (row, lib, mode string) {
	var parts []string
	mode = "serial"
	for i, p := range strings.Split(name, "/") {
		switch {
		case i == 0:
			parts = append(parts, strings.TrimPrefix(p, "Benchmark"))
		case strings.HasPrefix(p, "lib="):
			lib = p[len("lib="):]
		case strings.HasPrefix(p, "mode="):
			mode = p[len("mode="):]
		default:
			parts = append(parts, strings.TrimPrefix(p, "case="))
		}
	}
	return strings.Join(parts, "/"), lib, mode
}

// series collects the samples of one benchmark.
type series struct {
	ns, b, allocs []float64
	hasMem        bool
}

// rowKey identifies a line of the table.
type rowKey struct{ row, lib string }

// table gathers results in the order rows first appear.
type table struct {
	order  []rowKey
	modes  []string
	series map[rowKey]map[string]*series
}

func newTable() *table {
	return &table{series: make(map[rowKey]map[string]*series)}
}

// read adds every result line of r.
func (t *table) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		res, ok := parseLine(sc.Text())
		if !ok {
			continue
		}
		row, lib, mode := key(res.name)
		k := rowKey{row, lib}
		byMode, ok := t.series[k]
		if !ok {
			byMode = make(map[string]*series)
			t.series[k] = byMode
			t.order = append(t.order, k)
		}
		if !slices.Contains(t.modes, mode) {
			t.modes = append(t.modes, mode)
		}
		s, ok := byMode[mode]
		if !ok {
			s = &series{}
			byMode[mode] = s
		}
		s.ns = append(s.ns, res.nsPerOp)
		if res.hasMem {
			s.hasMem = true
			s.b = append(s.b, res.bPerOp)
			s.allocs = append(s.allocs, res.allocs)
		}
	}
	return sc.Err()
}

// median returns the median of xs, the mean of the middle two for an even
// count, and 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// render writes the Markdown table: one row per benchmark and library, and
// for each mode the median ns/op and its ratio to the floor of that mode.
// Memory columns come from the first mode that reports them.
func (t *table) render(w io.Writer, floor string) error {
	if len(t.order) == 0 {
		return errNoResults
	}
	floorRow, _, _ := key(floor)
	floors := t.series[rowKey{floorRow, ""}]
	var b strings.Builder
	b.WriteString("| benchmark | lib |")
	sep := "| --- | --- |"
	for _, m := range t.modes {
		fmt.Fprintf(&b, " %s ns/op | × floor |", m)
		sep += " ---: | ---: |"
	}
	b.WriteString(" B/op | allocs/op | runs |\n")
	b.WriteString(sep + " ---: | ---: | ---: |\n")
	for _, k := range t.order {
		lib := k.lib
		if lib == "" {
			lib = "—"
		}
		fmt.Fprintf(&b, "| %s | %s |", k.row, lib)
		var mem *series
		runs := 0
		for _, m := range t.modes {
			s := t.series[k][m]
			if s == nil {
				b.WriteString(" | |")
				continue
			}
			runs = max(runs, len(s.ns))
			if mem == nil && s.hasMem {
				mem = s
			}
			ns := median(s.ns)
			ratio := ""
			if f := floors[m]; f != nil && median(f.ns) > 0 {
				ratio = formatRatio(ns / median(f.ns))
			}
			fmt.Fprintf(&b, " %s | %s |", formatNs(ns), ratio)
		}
		if mem != nil {
			fmt.Fprintf(&b, " %s | %s |", formatNum(median(mem.b)), formatNum(median(mem.allocs)))
		} else {
			b.WriteString(" | |")
		}
		fmt.Fprintf(&b, " %d |\n", runs)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatNs prints a duration in ns with three significant digits.
func formatNs(ns float64) string {
	switch {
	case ns >= 100:
		return strconv.FormatFloat(ns, 'f', 0, 64)
	case ns >= 10:
		return strconv.FormatFloat(ns, 'f', 1, 64)
	}
	return strconv.FormatFloat(ns, 'f', 2, 64)
}

// formatRatio prints a ratio as "1.0×" or "12×".
func formatRatio(r float64) string {
	if r >= 10 {
		return strconv.FormatFloat(r, 'f', 0, 64) + "×"
	}
	return strconv.FormatFloat(r, 'f', 1, 64) + "×"
}

// formatNum prints a whole number without a fraction.
func formatNum(x float64) string {
	if x == float64(int64(x)) {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}
