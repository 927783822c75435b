package faults

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Dist is the distribution a Latency fault's delay is drawn from. The zero
// Dist is [Uniform]. Every draw is made from the decision's random word,
// so the same seed draws the same delays, and is clamped to at least 0
// and at most the fault's Max.
type Dist uint8

// The distributions of a latency. In the text form each is written inside
// delay(…), as in delay(normal(200ms,50ms)), with an optional cap last.
const (
	// Uniform waits Delay plus up to Jitter: delay(D) or delay(D,J).
	Uniform Dist = iota
	// Normal draws from a normal distribution of mean Delay and standard
	// deviation Jitter: delay(normal(MEAN,SD[,MAX])). Draws below 0 wait
	// 0.
	Normal
	// LogNormal draws exp(N(ln Delay, Shape²)): a median of Delay and a
	// heavy right tail that grows with Shape (sigma):
	// delay(lognormal(MEDIAN,SIGMA[,MAX])).
	LogNormal
	// Pareto draws from a Pareto distribution of scale Delay (the least
	// delay) and tail index Shape (alpha): the smaller alpha, the heavier
	// the tail, with no mean at all for alpha <= 1:
	// delay(pareto(SCALE,ALPHA[,MAX])).
	Pareto
	numDists
)

var distNames = [numDists]string{"uniform", "normal", "lognormal", "pareto"}

// MaxShape is the largest Shape a LogNormal or Pareto latency may have.
const MaxShape = 100

// String returns the distribution's name as the text form writes it:
// "uniform", "normal", "lognormal" or "pareto".
func (d Dist) String() string {
	if d < numDists {
		return distNames[d]
	}
	return fmt.Sprintf("dist(%d)", uint8(d))
}

// ParseDist returns the distribution named s, one of the names
// [Dist.String] returns.
func ParseDist(s string) (Dist, error) {
	for d, name := range distNames {
		if name == s {
			return Dist(d), nil
		}
	}
	return Uniform, fmt.Errorf("faults: unknown distribution %q", s)
}

// MarshalText implements encoding.TextMarshaler.
func (d Dist) MarshalText() ([]byte, error) { return marshalName(d, distNames[:], "distribution") }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Dist) UnmarshalText(b []byte) error { return unmarshalName(d, b, ParseDist) }

// validateDist checks the distribution fields of a Latency fault.
func (f Fault) validateDist() error {
	switch {
	case f.Dist >= numDists:
		return fmt.Errorf("dist: %v is not a distribution", f.Dist)
	case f.Max < 0:
		return fmt.Errorf("max: %v is negative", f.Max)
	case f.Dist == Uniform && f.Max != 0:
		return errors.New("max: a uniform latency has no max; its bound is delay plus jitter")
	case (f.Dist == Uniform || f.Dist == Normal) && f.Shape != 0:
		return fmt.Errorf("shape: a %v latency has no shape", f.Dist)
	case f.Dist == LogNormal || f.Dist == Pareto:
		switch {
		case f.Jitter != 0:
			return fmt.Errorf("jitter: a %v latency has no jitter; its spread is its shape", f.Dist)
		case f.Delay <= 0:
			return fmt.Errorf("delay: a %v latency needs a delay above 0", f.Dist)
		case !(f.Shape > 0 && f.Shape <= MaxShape): // NaN too
			return fmt.Errorf("shape: %v is outside (0,%d]", f.Shape, MaxShape)
		}
	}
	return nil
}

// draw returns the delay of a Normal, LogNormal or Pareto latency for the
// random word r, clamped to [0, Max] (or [0, DefaultHangLimit]).
func (f Fault) draw(r uint64) time.Duration {
	limit := f.Max
	if limit <= 0 {
		limit = DefaultHangLimit
	}
	var v float64
	switch f.Dist {
	case Normal:
		v = float64(f.Delay) + normal(r)*float64(f.Jitter)
	case LogNormal:
		v = float64(f.Delay) * math.Exp(f.Shape*normal(r))
	case Pareto:
		u := (float64(r>>11) + 0.5) / (1 << 53) // in (0,1)
		v = float64(f.Delay) / math.Pow(u, 1/f.Shape)
	}
	switch {
	case !(v > 0): // NaN too
		return 0
	case v >= float64(limit):
		return limit
	}
	return time.Duration(v)
}

// normal returns a standard normal variate made from r by the Box-Muller
// transform of its two 32-bit halves.
func normal(r uint64) float64 {
	u1 := (float64(r>>32) + 0.5) / (1 << 32)
	u2 := (float64(uint32(r)) + 0.5) / (1 << 32)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
