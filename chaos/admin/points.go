package admin

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/faultline-go/faultline/chaos"
)

// DefaultStatsLimit is the most points api/stats returns at once, unless
// its ?limit= asks for fewer.
const DefaultStatsLimit = 1000

// pagePoints is the most points the page shows at once.
const pagePoints = 100

// pointsQuery picks the points to show: those whose name contains q, the
// page-th group of limit of them.
type pointsQuery struct {
	q     string
	page  int // from 1
	limit int
}

// parsePointsQuery reads ?q=, ?page= (from 1; 1 by default) and ?limit=
// (from 1 to max; max by default).
func parsePointsQuery(v url.Values, max int) (pointsQuery, error) {
	q := pointsQuery{q: v.Get("q"), page: 1, limit: max}
	if s := v.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, &queryError{"page", s, "a page number, from 1"}
		}
		q.page = n
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return q, &queryError{"limit", s, "a number of points from 1 to " + strconv.Itoa(max)}
		}
		q.limit = n
	}
	return q, nil
}

// queryError is a query parameter out of its range.
type queryError struct{ name, value, want string }

func (e *queryError) Error() string {
	return "admin: " + e.name + "=" + strconv.Quote(e.value) + " is not " + e.want
}

// apply filters ps, which it may reorder and overwrite, and returns the
// page q asks for and how many points match on every page.
func (q pointsQuery) apply(ps []chaos.PointStats) (page []chaos.PointStats, total int) {
	if q.q != "" {
		kept := ps[:0]
		for _, p := range ps {
			if strings.Contains(p.Point, q.q) {
				kept = append(kept, p)
			}
		}
		clear(ps[len(kept):]) // drop the maps of the points left out
		ps = kept
	}
	total = len(ps)
	start := total
	if q.page-1 <= total/q.limit { // else (page-1)*limit may overflow
		start = min((q.page-1)*q.limit, total)
	}
	end := min(start+q.limit, total)
	return ps[start:end:end], total
}

// pageURL returns the relative URL of page n of the points matching q.
func (q pointsQuery) pageURL(n int) string {
	v := url.Values{}
	if q.q != "" {
		v.Set("q", q.q)
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return "./"
	}
	return "?" + v.Encode()
}
