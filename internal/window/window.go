// Package window holds the time windows shared by the engine's policy and
// the monkey: spans of the week, in a time zone, in which faults may fire.
package window

import (
	"fmt"
	"time"
)

// Window is a compiled span of the week: weekdays, a time of day range and
// a zone. The zero Window is never open; make one with Compile.
type Window struct {
	days       uint8 // bit per weekday; 0 means every day
	start, end int   // minutes after midnight; end 1440 means end of day
	loc        *time.Location
}

// Problem is one thing wrong with a window's fields.
type Problem struct {
	Field   string // "days", "start", "end" or "location"
	Message string
}

// Compile checks and compiles a window: days (empty means every day),
// start and end as "HH:MM" (empty start means midnight, empty end the end
// of the day, a start after the end spans midnight), and an IANA location
// (empty means UTC). It lists every problem; a window with problems is
// still returned, with the bad fields at their defaults.
func Compile(days []time.Weekday, start, end, location string) (Window, []Problem) {
	w := Window{end: 24 * 60, loc: time.UTC}
	var probs []Problem
	for _, d := range days {
		if d < time.Sunday || d > time.Saturday {
			probs = append(probs, Problem{"days", fmt.Sprintf("%d is not a weekday", d)})
			continue
		}
		w.days |= 1 << d
	}
	var err error
	if start != "" {
		if w.start, err = parseClock(start); err != nil {
			probs = append(probs, Problem{"start", err.Error()})
		}
	}
	if end != "" {
		if w.end, err = parseClock(end); err != nil {
			probs = append(probs, Problem{"end", err.Error()})
			w.end = 24 * 60
		}
	}
	if location != "" {
		if w.loc, err = time.LoadLocation(location); err != nil {
			probs = append(probs, Problem{"location", fmt.Sprintf("%q is not a time zone", location)})
			w.loc = time.UTC
		}
	}
	return w, probs
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

// Contains reports whether t falls in the window.
func (w Window) Contains(t time.Time) bool {
	if w.loc == nil {
		return false
	}
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

// Open reports whether any window contains t.
func Open(ws []Window, t time.Time) bool {
	for _, w := range ws {
		if w.Contains(t) {
			return true
		}
	}
	return false
}

// NextBoundary returns the first instant after t at which some window may
// open or close: a start, an end, a midnight or a change of offset, in
// each window's zone. Between t and it, Open(ws, ·) does not change.
func NextBoundary(ws []Window, t time.Time) time.Time {
	var next time.Time
	for _, w := range ws {
		if w.loc == nil {
			continue
		}
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
	if !next.After(t) { // no window, or a zone's transition made every candidate odd
		next = t.Truncate(time.Minute).Add(time.Minute)
	}
	return next
}

// EverOpen reports whether the windows open at some time in a week.
func EverOpen(ws []Window) bool {
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday
	for end := t.Add(8 * 24 * time.Hour); t.Before(end); t = NextBoundary(ws, t) {
		if Open(ws, t) {
			return true
		}
	}
	return false
}
