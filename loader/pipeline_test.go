package loader

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jingyun/jingyun/event"
)

type recordingSink struct {
	mu    sync.Mutex
	ids   []string
	failA int // fail the nth write (1-based), 0: never
	n     int
}

func (r *recordingSink) Write(ctx context.Context, evs []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.n == r.failA {
		return errors.New("disk on fire")
	}
	for _, e := range evs {
		r.ids = append(r.ids, e.ID)
	}
	return nil
}

func TestPipelineKeepsOrderAndReportsErrors(t *testing.T) {
	ctx := context.Background()
	rec := &recordingSink{}
	p := NewPipeline(ctx, rec, 2)
	batch := make([]event.Event, 1)
	for _, id := range []string{"a", "b", "c", "d"} {
		batch[0].ID = id // the producer reuses its slice: the pipeline must have copied it
		if err := p.Write(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(rec.ids); got != 4 || rec.ids[0] != "a" || rec.ids[3] != "d" {
		t.Fatalf("written %v", rec.ids)
	}

	bad := &recordingSink{failA: 1}
	p = NewPipeline(ctx, bad, 1)
	p.Write(ctx, batch)
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = p.Write(ctx, batch)
	}
	if cerr := p.Close(); cerr == nil || (err != nil && err.Error() != cerr.Error()) {
		t.Fatalf("Close = %v after Write = %v; want the sink's error", cerr, err)
	}
}
