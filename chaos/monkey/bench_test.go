package monkey_test

import (
	"testing"
	"time"

	"github.com/faultline-go/faultline/chaos"
	"github.com/faultline-go/faultline/chaos/monkey"
)

// BenchmarkSchedule measures drawing one activation: the bare exponential
// draw without windows, then the walk through workday windows in a zone.
func BenchmarkSchedule(b *testing.B) {
	from := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name string
		opts []monkey.Option
	}{
		{"no-windows", nil},
		{"workdays-paris", []monkey.Option{monkey.WithWindows(chaos.TimeWindow{Days: weekdays, Start: "09:00", End: "17:00", Location: "Europe/Paris"})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := mustNew(b, chaos.New(chaos.WithSeed(1)), bc.opts...)
			b.ReportAllocs()
			for b.Loop() {
				m.Schedule(from, 1)
			}
		})
	}
}
