package ingest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkBatch measures the collector's handler on a 500-event batch of realistic
// mini-program events (WAL without fsync, so the figure is the CPU cost of the collector).
func BenchmarkBatch(b *testing.B) {
	f := newFixture(b, Config{})
	var body bytes.Buffer
	body.WriteString(`{"batch":[`)
	for i := 0; i < 500; i++ {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"type":"track","event":"Product Viewed","anonymousId":"dev-%d","messageId":"m-%d","timestamp":"2026-11-01T08:00:%02d.000Z",`+
			`"properties":{"product_id":"p-%d","sku":"SKU-%d","name":"精选好物 %d","category":"美妆","price":%d.90,"currency":"CNY"},`+
			`"context":{"scene":1007,"page":{"path":"pages/goods/detail","query":"id=%d"},"os":{"name":"iOS","version":"17.4"},"app":{"name":"精运小店","version":"2.3.1"}}}`,
			i, i, i%60, i, i, i, 10+i, i)
	}
	body.WriteString(`],"sentAt":"2026-11-01T09:00:00.000Z"}`)
	h := http.NewServeMux()
	f.col.Register(h)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(f.key+":"))
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/batch", bytes.NewReader(body.Bytes()))
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "events/s")
}
