package wal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchSizes are the payload sizes benchmarked: a small HTTP batch and the 50–200 KB
// batches that big clients send.
var benchSizes = []int{4 << 10, 64 << 10, 200 << 10}

// BenchmarkAppend measures durable (fsync'd) append throughput with many concurrent
// appenders, as the collector's HTTP handlers produce them: 8 or 64 goroutines per CPU.
// sync=off is the CPU cost of the pipeline alone.
func BenchmarkAppend(b *testing.B) {
	type bench struct {
		size, perCPU int
		noSync       bool
	}
	benches := []bench{{4 << 10, 64, true}}
	for _, size := range benchSizes {
		benches = append(benches, bench{size, 8, false})
	}
	benches = append(benches, bench{4 << 10, 64, false}, bench{200 << 10, 64, false})
	for _, bc := range benches {
		name := fmt.Sprintf("size=%dKiB/appenders=%dxCPU", bc.size>>10, bc.perCPU)
		if bc.noSync {
			name += "/sync=off"
		}
		b.Run(name, func(b *testing.B) {
			w, err := Open(Options{Dir: b.TempDir(), NoSync: bc.noSync, MaxPending: 256 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			b.SetBytes(int64(bc.size))
			b.SetParallelism(bc.perCPU)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				payload := payloadFor(1, bc.size)
				for pb.Next() {
					if _, err := w.Append(context.Background(), payload); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			st := w.Stats()
			b.ReportMetric(float64(st.Appends)/b.Elapsed().Seconds(), "appends/s")
			if st.Fsyncs > 0 {
				b.ReportMetric(float64(st.Appends)/float64(st.Fsyncs), "appends/fsync")
			}
		})
	}
}

// BenchmarkPeerFile is the peer BenchmarkAppend is compared with: the same bytes written by
// one goroutine straight to a file, with an fsync after every record (what a log without
// group commit does) or after every MiB (about what the disk can do at best).
func BenchmarkPeerFile(b *testing.B) {
	for _, size := range benchSizes {
		for _, every := range []int{1, max(1, (1<<20)/size)} {
			b.Run(fmt.Sprintf("size=%dKiB/sync-every=%d", size>>10, every), func(b *testing.B) {
				f, err := os.Create(filepath.Join(b.TempDir(), "peer"))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				payload := payloadFor(1, size+recordHeaderSize)
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := range b.N {
					if _, err := f.Write(payload); err != nil {
						b.Fatal(err)
					}
					if (i+1)%every == 0 || i == b.N-1 {
						if err := f.Sync(); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
