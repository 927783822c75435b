package monkey

import (
	"fmt"
	"time"

	"github.com/faultline-go/faultline/chaos"
)

// window is a chaos.Window with its zone loaded and its times in minutes.
type window struct {
	days       uint8 // bit per weekday; 0 means every day
	start, end int   // minutes after midnight; end 1440 means end of day
	loc        *time.Location
}

// compileWindows checks and compiles ws, as the engine's policy reads
// them, and lists every problem.
func compileWindows(ws []chaos.Window) ([]window, []string) {
	var out []window
	var probs []string
	for i, w := range ws {
		cw := window{end: 24 * 60, loc: time.UTC}
		path := fmt.Sprintf("windows[%d]", i)
		for _, d := range w.Days {
			if d < time.Sunday || d > time.Saturday {
				probs = append(probs, fmt.Sprintf("%s.days: %d is not a weekday", path, d))
				continue
			}
			cw.days |= 1 << d
		}
		var err error
		if w.Start != "" {
			if cw.start, err = parseClock(w.Start); err != nil {
				probs = append(probs, fmt.Sprintf("%s.start: %v", path, err))
			}
		}
		if w.End != "" {
			if cw.end, err = parseClock(w.End); err != nil {
				probs = append(probs, fmt.Sprintf("%s.end: %v", path, err))
			}
		}
		if w.Location != "" {
			if cw.loc, err = time.LoadLocation(w.Location); err != nil {
				probs = append(probs, fmt.Sprintf("%s.location: %q is not a time zone", path, w.Location))
				cw.loc = time.UTC
			}
		}
		out = append(out, cw)
	}
	return out, probs
}

// parseClock reads "HH:MM" as minutes after midnight; "24:00" is the end of
// the day.
func parseClock(s string) (int, error) {
	if s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (w window) contains(t time.Time) bool {
	t = t.In(w.loc)
	if w.days != 0 && w.days&(1<<t.Weekday()) == 0 {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	if w.start <= w.end {
		return m >= w.start && m < w.end
	}
	return m >= w.start || m < w.end
}

// open reports whether any window contains t.
func open(ws []window, t time.Time) bool {
	for _, w := range ws {
		if w.contains(t) {
			return true
		}
	}
	return false
}

// nextBoundary returns the first instant after t at which some window may
// open or close: a start, an end, a midnight or a change of offset, in
// each window's zone.
// Between t and it, open(ws, ·) does not change.
func nextBoundary(ws []window, t time.Time) time.Time {
	var next time.Time
	for _, w := range ws {
		lt := t.In(w.loc)
		y, mo, d := lt.Date()
		for _, m := range [...]int{w.start, w.end, 24 * 60} {
			b := time.Date(y, mo, d, m/60, m%60, 0, 0, w.loc)
			if b.After(t) && (next.IsZero() || b.Before(next)) {
				next = b
			}
		}
		// A change of offset (daylight saving time) moves the clock.
		if _, zend := lt.ZoneBounds(); zend.After(t) && (next.IsZero() || zend.Before(next)) {
			next = zend
		}
	}
	if !next.After(t) { // a zone's transition made every candidate odd
		next = t.Truncate(time.Minute).Add(time.Minute)
	}
	return next
}

// everOpen reports whether the windows open at some time in a week.
func everOpen(ws []window) bool {
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday
	for end := t.Add(8 * 24 * time.Hour); t.Before(end); t = nextBoundary(ws, t) {
		if open(ws, t) {
			return true
		}
	}
	return false
}
