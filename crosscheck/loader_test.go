package crosscheck

import (
	"context"
	"testing"

	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/loader"
)

// TestLoaderSinkOnClickHouse writes through the loader's Sink (the path of `jingyun import`
// and `jingyun demo`) into each store. The Sink applies batches without a WAL stream; the
// ClickHouse store once refused those, so import and demo failed on ClickHouse.
func TestLoaderSinkOnClickHouse(t *testing.T) {
	s := openStores(t)
	ctx := context.Background()
	for _, st := range s.all() {
		l, err := loader.New(ctx, st, loader.Config{}, nil)
		if err != nil {
			t.Fatalf("cannot start %s loader: %v", st.Name(), err)
		}
		ev := []event.Event{{ProjectID: 7, ID: "e1", Type: event.TypeTrack, Name: "Product Viewed",
			Time: importedAt.UnixMilli(), ReceivedAt: importedAt.UnixMilli(), UserID: "u1",
			Properties: []byte(`{}`), Context: []byte(`{}`)}}
		if err := l.Sink().Write(ctx, ev); err != nil {
			t.Errorf("%s: loader sink cannot write one event: %v", st.Name(), err)
		}
	}
}
