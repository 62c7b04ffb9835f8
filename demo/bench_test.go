package demo

import (
	"context"
	"testing"
	"time"

	"github.com/jingyun/jingyun/event"
)

// discard is a sink that only counts events and their JSON bytes.
type discard struct{ events, bytes int64 }

func (d *discard) Write(_ context.Context, evs []event.Event) error {
	d.events += int64(len(evs))
	for i := range evs {
		d.bytes += int64(len(evs[i].Properties) + len(evs[i].Context) + len(evs[i].Traits))
	}
	return nil
}

// BenchmarkGenerate generates the default shop (DefaultPersons × DefaultDays, about 1M
// events) per op on the calling goroutine with a sink that drops the events, and reports
// events/s and the JSON bytes written per event.
func BenchmarkGenerate(b *testing.B) {
	end := time.Date(2026, 11, 23, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var d discard
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(context.Background(), Options{ProjectID: 1, Seed: 7, End: end}, &d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(d.bytes)/float64(d.events), "JSON-B/event")
}
