package analysis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jingyun/jingyun/analysis"
	"github.com/jingyun/jingyun/event"
	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
	"github.com/jingyun/jingyun/store/duckdb"
)

// TestMoneySumsAreExact checks sums of prices to the cent, compared with ==, not with the
// scenario suite's tolerance: float addition of 0.1 + 0.2 would give 0.30000000000000004.
func TestMoneySumsAreExact(t *testing.T) {
	st, err := duckdb.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := time.Date(2024, 1, 1, 2, 0, 0, 0, time.UTC).UnixMilli()
	var rows []store.Row
	var totals []string
	var cents int64
	for i := 0; i < 1000; i++ {
		c := int64(i*7919%100000 + 1) // 0.01 … 1000.00 yuan
		cents += c
		totals = append(totals, fmt.Sprintf("%d.%02d", c/100, c%100))
	}
	for i, v := range totals {
		rows = append(rows, store.Row{Event: event.Event{ProjectID: 1, ID: fmt.Sprint(i), Type: event.TypeTrack, Name: "Order Completed",
			Time: base + int64(i)*10, ReceivedAt: base, UserID: "u", Properties: json.RawMessage(`{"total":` + v + `}`)}, PersonID: 1})
	}
	if err := st.Apply(context.Background(), &store.Batch{Events: rows}); err != nil {
		t.Fatal(err)
	}
	spec := query.Spec{Kind: query.KindTrends, DateRange: query.DateRange{From: "2024-01-01", To: "2024-01-01"},
		Series: []query.Series{{Event: "Order Completed", Math: query.MathSum, Property: "total"}}}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	res, err := analysis.Execute(context.Background(), st, &spec, query.Env{Project: 1, Calendar: query.Calendar{TZ: loc}, Now: time.Unix(1704200000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Trends.Series[0].Points[0].Value
	if want := float64(cents) / 100; got != want {
		t.Fatalf("sum = %v, want exactly %v", got, want)
	}
}
