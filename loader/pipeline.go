package loader

import (
	"context"
	"sync"

	"github.com/jingyun/jingyun/event"
)

// Pipeline is a sink that lets a bulk producer (the demo generator) build its next batch
// while the previous one is being written: Write copies the batch and queues it, and one
// goroutine writes queued batches to the underlying sink in order. Unlike other sinks,
// Write does not wait for durability: the first error is returned by a later Write or by
// Close, which waits for everything queued. Use it only where a failed run is simply rerun.
type Pipeline struct {
	sink  event.Sink
	queue chan []event.Event
	done  chan struct{}
	mu    sync.Mutex
	err   error
}

// NewPipeline starts a pipeline that queues at most depth batches.
func NewPipeline(ctx context.Context, sink event.Sink, depth int) *Pipeline {
	p := &Pipeline{sink: sink, queue: make(chan []event.Event, depth), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for batch := range p.queue {
			if p.failed() != nil {
				continue // drain: the producer learns of the error on its next Write
			}
			if err := sink.Write(ctx, batch); err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
			}
		}
	}()
	return p
}

func (p *Pipeline) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Write queues a copy of events; it blocks while depth batches are waiting.
func (p *Pipeline) Write(ctx context.Context, events []event.Event) error {
	if err := p.failed(); err != nil {
		return err
	}
	select {
	case p.queue <- append([]event.Event(nil), events...):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close waits until every queued batch is written and returns the first error.
func (p *Pipeline) Close() error {
	close(p.queue)
	<-p.done
	return p.failed()
}
