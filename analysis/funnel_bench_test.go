package analysis

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFunnelEngine measures the funnel engine alone on a synthetic ordered stream:
// 1M rows, 100k persons, 4 steps, a 1 h window; it reports rows/s.
func BenchmarkFunnelEngine(b *testing.B) {
	const rows, persons, steps = 1_000_000, 100_000, 4
	r := rand.New(rand.NewPCG(3, 4))
	person, ts, mask := make([]int64, rows), make([]int64, rows), make([]int64, rows)
	per := rows / persons
	for i := range rows {
		person[i] = int64(i / per)
		if i%per == 0 {
			ts[i] = int64(r.IntN(86_400_000))
		} else {
			ts[i] = ts[i-1] + int64(r.IntN(600_000))
		}
		mask[i] = 1 << r.IntN(steps)
	}
	b.ResetTimer()
	for range b.N {
		e := newFunnelEngine(steps, 3_600_000, 0, 86_400_000, 1)
		for i := range rows {
			if err := e.add(person[i], ts[i], mask[i], 0); err != nil {
				b.Fatal(err)
			}
		}
		e.finish()
	}
	b.ReportMetric(float64(b.N)*rows/b.Elapsed().Seconds(), "rows/s")
}
