// Package mix holds the hashing and mixing functions behind faultline's
// deterministic decisions. They are pure functions: no state, no locks and no
// math/rand, so a decision depends only on its inputs.
package mix

// String returns the 64-bit FNV-1a hash of s.
func String(s string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}

// Mix returns the splitmix64 finalizer of x: a bijection whose output bits
// each depend on every input bit.
func Mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Mix3 combines three words into one well-mixed word.
func Mix3(a, b, c uint64) uint64 {
	return Mix(Mix(Mix(a)^b) ^ c)
}

// Threshold converts a probability p in [0,1] into a threshold t such that a
// uniformly distributed uint64 h satisfies h < t with probability p. A p of 1
// or more returns the maximum value, which Below treats as always.
func Threshold(p float64) uint64 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return ^uint64(0)
	}
	// 2^64 * p, computed in float64; the loss of the low bits is far below
	// any rate a user can observe.
	return uint64(p * (1 << 63) * 2)
}

// Below reports whether h falls under threshold t; the maximum threshold
// always passes.
func Below(h, t uint64) bool {
	return t == ^uint64(0) || h < t
}
