package monkey

import (
	"math"
	"time"

	"github.com/faultline-go/faultline/internal/mix"
	"github.com/faultline-go/faultline/internal/window"
)

// Salts keep the draws of one activation independent of each other.
const (
	saltInterval = 0x6d6f6e6b65790001
	saltPick     = 0x6d6f6e6b65790002
	saltShare    = 0x6d6f6e6b65790003
)

func hashString(s string) uint64 { return mix.String(s) }

// Schedule returns the first n activations a run started at from would
// make, without applying anything: a preview of the schedule, which
// depends only on the seed, the settings, the instance and from. Skipped
// is set as Run would set it; Err is always nil. It returns fewer than n
// when the windows stop opening (they never do once New accepted them,
// short of a time-zone oddity).
func (m *Monkey) Schedule(from time.Time, n int) []Activation {
	s := m.scheduler(from)
	out := make([]Activation, 0, max(n, 0))
	for range n {
		a, ok := s.next()
		if !ok {
			break
		}
		out = append(out, a)
	}
	return out
}

// scheduler walks the schedule of one run.
type scheduler struct {
	m    *Monkey
	n    uint64
	from time.Time // the earliest the next activation may start
}

func (m *Monkey) scheduler(from time.Time) *scheduler {
	return &scheduler{m: m, from: from}
}

// next draws the next activation.
func (s *scheduler) next() (Activation, bool) {
	m, c := s.m, &s.m.cfg
	s.n++
	wait := time.Duration(-math.Log(unit(mix.Mix3(c.seed, s.n, saltInterval))) * float64(c.mean))
	start, ok := m.walk(s.from, wait)
	if !ok {
		return Activation{}, false
	}
	end := start.Add(c.length)
	if len(m.windows) > 0 {
		end = earliest(end, m.closes(start))
	}
	pick := int(mix.Mix3(c.seed, s.n, saltPick) % uint64(len(m.candidates)))
	rule := m.candidates[pick]
	if length := end.Sub(start); rule.TTL == 0 || rule.TTL > length {
		rule.TTL = length
	}
	a := Activation{
		N:         s.n,
		Start:     start,
		End:       end,
		Candidate: pick,
		Rule:      rule,
		Skipped:   !mix.Below(mix.Mix3(c.seed^saltShare, s.n, m.instance), mix.Threshold(c.share)),
	}
	s.from = end
	if gap := start.Add(c.minGap); gap.After(s.from) {
		s.from = gap
	}
	return a, true
}

// unit maps h to a float in (0,1), never 0 so its logarithm is finite.
func unit(h uint64) float64 {
	return (float64(h>>11) + 0.5) / (1 << 53)
}

// walk returns the instant at which d of open window time has passed since
// from; with no windows, from+d. It reports false when the windows do not
// open for a week and a day.
func (m *Monkey) walk(from time.Time, d time.Duration) (time.Time, bool) {
	if len(m.windows) == 0 {
		return from.Add(d), true
	}
	t, lastOpen := from, from
	for {
		nb := window.NextBoundary(m.windows, t)
		if window.Open(m.windows, t) {
			if t.Add(d).Before(nb) {
				return t.Add(d), true
			}
			d -= nb.Sub(t)
			lastOpen = nb
		} else if t.Sub(lastOpen) > 8*24*time.Hour {
			return time.Time{}, false
		}
		t = nb
	}
}

// closes returns when the windows, open at t, next close; it gives up a
// week and a day later (windows that are always open).
func (m *Monkey) closes(t time.Time) time.Time {
	limit := t.Add(8 * 24 * time.Hour)
	for t.Before(limit) && window.Open(m.windows, t) {
		t = window.NextBoundary(m.windows, t)
	}
	return t
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
