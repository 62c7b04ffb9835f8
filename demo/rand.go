package demo

import "math"

// rng is a splitmix64 generator: tiny, fast, and stable across Go releases, so a seed
// gives the same shop on every build. Each person owns one, seeded from the run seed and
// the person's number, which is what lets persons be generated independently.
type rng struct{ s uint64 }

// mix64 is the splitmix64 finalizer. It is a bijection on uint64, so distinct inputs give
// distinct outputs: identifiers derived from it are unique without a lookup table.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func newRNG(seed int64, stream uint64) rng {
	return rng{s: mix64(uint64(seed)^0x5851f42d4c957f2d) ^ mix64(stream+0x9e3779b97f4a7c15)}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float returns a uniform number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * (1.0 / (1 << 53)) }

// intn returns a uniform number in [0, n); n must be positive and below 2^32.
func (r *rng) intn(n int) int { return int(((r.next() >> 32) * uint64(n)) >> 32) }

// between returns a uniform integer in [lo, hi].
func (r *rng) between(lo, hi int64) int64 { return lo + int64(r.intn(int(hi-lo+1))) }

func (r *rng) chance(p float64) bool { return r.float() < p }

// exp returns an exponential number with mean 1.
func (r *rng) exp() float64 { return -math.Log(1 - r.float()) }

// norm returns an approximately standard normal number (Irwin–Hall with four terms): cheap,
// bounded at ±3.5, good enough for dwell times.
func (r *rng) norm() float64 {
	return (r.float() + r.float() + r.float() + r.float() - 2) * 1.7320508075688772
}

// logn returns a log-normal number with the given median and spread.
func (r *rng) logn(median, sigma float64) float64 { return median * math.Exp(sigma*r.norm()) }

// poisson returns a Poisson number with a small mean (Knuth's method).
func (r *rng) poisson(mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.float()
		if p <= l || k > 50 {
			return k
		}
		k++
	}
}

// cumulative is a table of running weight sums for weighted choice.
type cumulative []float64

func newCumulative(w []float64) cumulative {
	c := make(cumulative, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		c[i] = sum
	}
	return c
}

// pick returns an index with probability proportional to its weight.
func (c cumulative) pick(r *rng) int { return searchCum(c, r.float()*c[len(c)-1]) }

// searchCum returns the first index whose running sum exceeds x.
func searchCum(c []float64, x float64) int {
	lo, hi := 0, len(c)-1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// weighted is a small list of choices with weights.
type weighted[T any] struct {
	items []T
	cum   cumulative
}

func newWeighted[T any](items []T, weight func(T) float64) weighted[T] {
	w := make([]float64, len(items))
	for i, it := range items {
		w[i] = weight(it)
	}
	return weighted[T]{items: items, cum: newCumulative(w)}
}

func (w *weighted[T]) pick(r *rng) T { return w.items[w.cum.pick(r)] }
