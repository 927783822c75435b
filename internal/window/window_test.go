package window

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCompileProblems(t *testing.T) {
	_, probs := Compile([]time.Weekday{7}, "9am", "25:00", "Mars/Olympus")
	want := []Problem{
		{"days", "7 is not a weekday"},
		{"start", `"9am" is not a time of day (HH:MM)`},
		{"end", `"25:00" is not a time of day (HH:MM)`},
		{"location", `"Mars/Olympus" is not a time zone`},
	}
	if len(probs) != len(want) {
		t.Fatalf("problems %v, want %v", probs, want)
	}
	for i := range want {
		if probs[i] != want[i] {
			t.Errorf("problem %d = %v, want %v", i, probs[i], want[i])
		}
	}
}

func TestContains(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	tests := []struct {
		name            string
		days            []time.Weekday
		start, end, loc string
		at              time.Time
		want            bool
	}{
		{"always", nil, "", "", "", time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), true},
		{"working hours, in", weekdays, "09:00", "17:00", "", time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), true},
		{"working hours, end excluded", weekdays, "09:00", "17:00", "", time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC), false},
		{"working hours, saturday", weekdays, "09:00", "17:00", "", time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), false},
		{"across midnight, late", nil, "22:00", "06:00", "", time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC), true},
		{"across midnight, early", nil, "22:00", "06:00", "", time.Date(2026, 11, 26, 5, 59, 0, 0, time.UTC), true},
		{"across midnight, day", nil, "22:00", "06:00", "", time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), false},
		{"zone", nil, "09:00", "10:00", "Europe/Paris", time.Date(2026, 11, 26, 9, 30, 0, 0, paris), true},
		{"zone, same instant in UTC is 08:30", nil, "09:00", "10:00", "", time.Date(2026, 11, 26, 9, 30, 0, 0, paris), false},
		{"24:00 end", nil, "23:00", "24:00", "", time.Date(2026, 11, 26, 23, 59, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, probs := Compile(tt.days, tt.start, tt.end, tt.loc)
			if len(probs) > 0 {
				t.Fatal(probs)
			}
			if got := w.Contains(tt.at); got != tt.want {
				t.Errorf("Contains(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
	if (Window{}).Contains(time.Now()) {
		t.Error("the zero Window is open")
	}
}

func TestNextBoundaryAndEverOpen(t *testing.T) {
	w, _ := Compile([]time.Weekday{time.Thursday}, "09:00", "17:00", "")
	ws := []Window{w}
	at := time.Date(2026, 11, 26, 8, 15, 0, 0, time.UTC) // a Thursday
	if got, want := NextBoundary(ws, at), time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("NextBoundary = %v, want %v", got, want)
	}
	// Open does not change between t and its next boundary.
	for t0 := at; t0.Before(at.Add(48 * time.Hour)); {
		next := NextBoundary(ws, t0)
		if mid := t0.Add(next.Sub(t0) / 2); Open(ws, mid) != Open(ws, t0) {
			t.Fatalf("Open changed between %v and %v", t0, next)
		}
		t0 = next
	}
	if !EverOpen(ws) {
		t.Error("a Thursday window never opens")
	}
	empty, _ := Compile(nil, "10:00", "10:00", "")
	if EverOpen([]Window{empty}) {
		t.Error("an empty span opens")
	}
}
