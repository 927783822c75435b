package admin

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/faultline-go/faultline/chaos"
	"github.com/google/go-cmp/cmp"
)

// addPoints makes n points named svc.op000000 on, with a plan that names
// them all, and fires the first one 200 times.
func addPoints(e *chaos.Engine, n int) {
	if err := e.Apply(chaos.MustParsePlan("svc.*=1%error(x)")); err != nil {
		panic(err) // a valid plan, and no policy: cannot happen
	}
	for i := range n {
		e.Point(fmt.Sprintf("svc.op%06d", i))
	}
	fire(e, "svc.op000000", 200)
}

func TestStatsPaging(t *testing.T) {
	e, h := newTest(t)
	addPoints(e, 2500)
	names := func(v statsView) []string {
		var ns []string
		for _, p := range v.Points {
			ns = append(ns, p.Point)
		}
		return ns
	}
	op := func(i int) string { return fmt.Sprintf("svc.op%06d", i) }
	ops := func(from, to int) []string {
		var ns []string
		for i := from; i < to; i++ {
			ns = append(ns, op(i))
		}
		return ns
	}
	tests := []struct {
		query     string
		want      []string
		total     int
		page, lim int
	}{
		{"", ops(0, 1000), 2500, 1, 1000},
		{"?page=3", ops(2000, 2500), 2500, 3, 1000},
		{"?page=4", nil, 2500, 4, 1000},
		{"?page=9223372036854775807", nil, 2500, 9223372036854775807, 1000},
		{"?limit=10&page=2", ops(10, 20), 2500, 2, 10},
		{"?q=op0012", ops(1200, 1300), 100, 1, 1000},
		{"?q=op0012&limit=30&page=4", ops(1290, 1300), 100, 4, 30},
		{"?q=op002499", []string{op(2499)}, 1, 1, 1000},
		{"?q=nothing", nil, 0, 1, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v := decode[statsView](t, do(t, h, req{method: "GET", path: "api/stats" + tt.query}))
			if diff := cmp.Diff(tt.want, names(v)); diff != "" {
				t.Errorf("points (-want +got):\n%s", diff)
			}
			if v.Total != tt.total || v.Page != tt.page || v.Limit != tt.lim || len(v.Rules) != 1 {
				t.Errorf("total %d page %d limit %d rules %d, want %d %d %d 1", v.Total, v.Page, v.Limit, len(v.Rules), tt.total, tt.page, tt.lim)
			}
		})
	}
	for _, bad := range []string{"?page=0", "?page=-1", "?page=x", "?limit=0", "?limit=1001", "?limit=ten"} {
		w := do(t, h, req{method: "GET", path: "api/stats" + bad})
		if w.Code != http.StatusBadRequest || !strings.Contains(decode[errorView](t, w).Error, "is not") {
			t.Errorf("api/stats%s: %d %s, want 400 saying what is wrong", bad, w.Code, w.Body)
		}
	}
	first := decode[statsView](t, do(t, h, req{method: "GET", path: "api/stats?q=op000000"}))
	if len(first.Points) != 1 || first.Points[0].Fired == 0 || first.Points[0].Evaluations != 200 {
		t.Errorf("filtered point lost its counters: %+v", first.Points)
	}
}

var pointRow = regexp.MustCompile(`<tr><td class="point"><code>([^<]*)</code>`)

// pageRows returns the point names of the rows of the points table.
func pageRows(body string) []string {
	var ns []string
	for _, m := range pointRow.FindAllStringSubmatch(body, -1) {
		ns = append(ns, m[1])
	}
	return ns
}

func TestPagePoints(t *testing.T) {
	e, h := newTest(t)
	addPoints(e, 250)
	tests := []struct {
		query      string
		first      string
		rows       int
		prev, next string // "" when there is no such link
		pager      string
	}{
		{"", "svc.op000000", 100, "", `href="?page=2"`, "points 1–100 of 250; page 1 of 3"},
		{"?page=2", "svc.op000100", 100, `href="./"`, `href="?page=3"`, "points 101–200 of 250; page 2 of 3"},
		{"?page=3", "svc.op000200", 50, `href="?page=2"`, "", "points 201–250 of 250; page 3 of 3"},
		{"?page=99", "svc.op000200", 50, `href="?page=2"`, "", "page 3 of 3"},
		{"?page=junk", "svc.op000000", 100, "", `href="?page=2"`, "page 1 of 3"},
		{"?q=op0001", "svc.op000100", 100, "", "", "points 1–100 of 100 whose name contains <code>op0001</code>, out of 250; page 1 of 1"},
		{"?q=op00002&page=1", "svc.op000020", 10, "", "", "points 1–10 of 10"},
		{"?q=%3Cb%3E", "", 0, "", "", "no points whose name contains <code>&lt;b&gt;</code>, out of 250"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			w := do(t, h, req{method: "GET", path: tt.query})
			body := w.Body.String()
			rows := pageRows(body)
			if w.Code != 200 || len(rows) != tt.rows || (tt.rows > 0 && rows[0] != tt.first) {
				t.Fatalf("status %d, %d rows from %v; want 200, %d rows from %q", w.Code, len(rows), rows[:min(1, len(rows))], tt.rows, tt.first)
			}
			if !strings.Contains(body, tt.pager) {
				t.Errorf("pager lacks %q:\n%s", tt.pager, regexp.MustCompile(`<p id="pager".*`).FindString(body))
			}
			for id, want := range map[string]string{"prev": tt.prev, "next": tt.next} {
				link := regexp.MustCompile(`<a id="` + id + `" ([^>]*)>`).FindStringSubmatch(body)
				if (link == nil) != (want == "") || (link != nil && link[1] != want) {
					t.Errorf("%s link %v, want %q", id, link, want)
				}
			}
			if !strings.Contains(body, `<form id="filter" method="get" action="./">`) {
				t.Error("page lacks the filter form")
			}
		})
	}
}

// hundredK is an engine with 100,000 points and an admin handler for it,
// made once: for TestPage100kPoints and BenchmarkPage100kPoints.
var hundredK = sync.OnceValues(func() (*chaos.Engine, *Handler) {
	e := chaos.New(chaos.WithSeed(1))
	addPoints(e, 100_000)
	return e, New(e, WithToken(testToken), WithEvents(0))
})

// TestPage100kPoints checks that the page of an engine with 100,000 points
// shows one page of them, and the API one page of its own.
func TestPage100kPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 100,000 points; skipped with -short")
	}
	_, h := hundredK()
	for _, tt := range []struct {
		query string
		rows  int
	}{
		{"", pagePoints},
		{"?page=1000", pagePoints},
		{"?q=op09999", 10},
	} {
		w := do(t, h, req{method: "GET", path: tt.query})
		if rows := pageRows(w.Body.String()); w.Code != 200 || len(rows) != tt.rows {
			t.Errorf("page%s: %d with %d point rows, want 200 with %d", tt.query, w.Code, len(rows), tt.rows)
		}
		if n := strings.Count(w.Body.String(), "<tr>"); n > pagePoints+10 {
			t.Errorf("page%s has %d rows", tt.query, n)
		}
	}
	v := decode[statsView](t, do(t, h, req{method: "GET", path: "api/stats"}))
	if len(v.Points) != DefaultStatsLimit || v.Total != 100_000 {
		t.Errorf("api/stats: %d points of %d, want %d of 100000", len(v.Points), v.Total, DefaultStatsLimit)
	}
}
