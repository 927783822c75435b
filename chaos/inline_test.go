package chaos_test

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestHotPathInlines holds the disabled path to its promise: Inject,
// Decide, DecideLabels and Armed inline into their callers, so a point no
// rule names costs the caller one atomic load and a nil check, with no
// call. Their bodies sit just under the inliner's budget; a change that
// pushes them over fails here rather than quietly in the benchmarks.
func TestHotPathInlines(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build -gcflags=-m on the package (about a second); skipped with -short")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build the package with -gcflags=-m: " + err.Error())
	}
	out, err := exec.Command(gotool, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"Inject", "InjectContext", "Decide", "DecideLabels", "Armed"} {
		re := regexp.MustCompile(`(?m)can inline \(\*Point\)\.` + fn + `( |$)`)
		if !re.Match(out) {
			t.Errorf("(*Point).%s no longer inlines; see go build -gcflags=-m=2 for its cost", fn)
		}
	}
}
