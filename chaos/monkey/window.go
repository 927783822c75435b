package monkey

import (
	"fmt"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/internal/window"
)

// compileWindows checks and compiles ws as the engine's policy reads them,
// and lists every problem.
func compileWindows(ws []chaos.TimeWindow) ([]window.Window, []string) {
	var out []window.Window
	var probs []string
	for i, w := range ws {
		cw, wprobs := window.Compile(w.Days, w.Start, w.End, w.Location)
		for _, p := range wprobs {
			probs = append(probs, fmt.Sprintf("windows[%d].%s: %s", i, p.Field, p.Message))
		}
		out = append(out, cw)
	}
	return out, probs
}
