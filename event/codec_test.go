package event

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestBatchRoundTrip(t *testing.T) {
	in := []Event{
		{ProjectID: 7, ID: "m1", Type: TypeTrack, Name: "Order Completed", Time: 1700000000123, ReceivedAt: 1700000000200,
			AnonymousID: "dev-1", UserID: "会员-9", Properties: json.RawMessage(`{"total":59.90}`), Context: json.RawMessage(`{"scene":1007}`)},
		{ProjectID: 7, ID: "m2", Type: TypeAlias, Name: NameAlias, Time: -5, UserID: "u", PreviousID: "p", Traits: json.RawMessage(`{}`)},
		{},
	}
	buf := AppendBatch(nil, in)
	out, err := DecodeBatch(nil, buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
	}
	// Every truncation is an error, never a panic or a silent short batch.
	for i := 0; i < len(buf); i++ {
		if got, err := DecodeBatch(nil, buf[:i]); err == nil {
			t.Fatalf("truncated at %d decoded %d events without error", i, len(got))
		}
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	ev := Event{ProjectID: 1, ID: "0f8fad5b-d9cb-469f-a165-70867728950e", Type: TypeTrack, Name: "Product Viewed", Time: 1700000000123,
		ReceivedAt: 1700000000200, AnonymousID: "a8b1c2d3e4f5", Properties: json.RawMessage(`{"product_id":"p-1042","price":59.90,"category":"美妆"}`),
		Context: json.RawMessage(`{"scene":1007,"page":{"path":"pages/goods/detail"}}`)}
	events := make([]Event, 500)
	for i := range events {
		events[i] = ev
	}
	buf := AppendBatch(nil, events)
	b.SetBytes(int64(len(buf)))
	var out []Event
	for b.Loop() {
		out, _ = DecodeBatch(out[:0], buf)
	}
}
