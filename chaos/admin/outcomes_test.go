package admin

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/middleware/resilience"
)

// TestPageOutcomes: the page shows, per point, the injected errors that
// resilience code absorbed and those that escaped, as real retries over
// real faults counted them; api/stats carries the same counts.
func TestPageOutcomes(t *testing.T) {
	e, h := newTest(t)
	if err := e.Apply(chaos.MustParsePlan("db.query=2*error;cache=error")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	retry := resilience.Retry{MaxAttempts: 3, InitialInterval: -1}
	if err := retry.Run(ctx, e.Point("db.query").Inject); err != nil {
		t.Fatalf("db.query: %v, want the third attempt to succeed", err)
	}
	if err := retry.Run(ctx, e.Point("cache").Inject); err == nil {
		t.Fatal("cache: nil, want the retry to give up")
	}

	w := do(t, h, req{method: "GET", path: ""})
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	row := regexp.MustCompile(`<code>([^<]*)</code>.*?<td class="n absorbed">(\d+)</td><td class="n escaped">(\d+)</td>`)
	got := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(w.Body.String(), -1) {
		got[m[1]] = [2]string{m[2], m[3]}
	}
	want := map[string][2]string{"db.query": {"2", "0"}, "cache": {"0", "3"}}
	for p, wv := range want {
		if got[p] != wv {
			t.Errorf("page: %s absorbed, escaped = %v, want %v", p, got[p], wv)
		}
	}

	st := decode[chaos.Stats](t, do(t, h, req{method: "GET", path: "api/stats"}))
	for _, ps := range st.Points {
		if w, ok := want[ps.Point]; ok && (w[0] != strconv.FormatUint(ps.Absorbed, 10) || w[1] != strconv.FormatUint(ps.Escaped, 10)) {
			t.Errorf("api/stats: %s absorbed, escaped = %d, %d, want %v", ps.Point, ps.Absorbed, ps.Escaped, w)
		}
	}
}
