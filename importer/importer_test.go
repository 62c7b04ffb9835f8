package importer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jingyun/jingyun/event"
)

var testReceived = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

const ordersMapping = `{
  "format": "csv",
  "skip": [{"name": "test row", "when": [{"column": "note", "equals": ["TEST"]}]}],
  "person": {"user_id": "customer", "user_id_integer": true, "guest_key": ["invoice"]},
  "time": {"column": "date", "format": "2006-01-02 15:04:05", "zone": "Europe/London"},
  "message_id": {"namespace": "shop"},
  "properties": [{"column": "country", "name": "country"}],
  "order": {
    "key": "invoice", "quantity": "qty", "price": "price", "currency": "GBP",
    "products": [{"column": "sku", "name": "product_id"}, {"column": "name", "name": "name"}],
    "refund": {"when": [{"column": "invoice", "prefix": "C"}]}
  }
}`

// Order 1001 is split (lines 2 and 4); 1002 and 1004 are guests; line 7 is a test row.
const ordersCSV = `invoice,sku,name,qty,date,price,customer,country,note
1001,A1,Mug,2,2011-07-03 10:00:00,2.55,17850.0,United Kingdom,
1002,B2,Pen,1,2011-07-03 10:05:00,0.001,,France,
1001,C3,"Plate, ""blue""",3,2011-07-03 09:59:00,1.10,17850.0,United Kingdom,
C1003,A1,Mug,-1,2011-07-04 11:00:00,2.55,17850.0,United Kingdom,
1004,A1,Mug,1,2011-07-05 11:00:00,2.55,,Spain,
1005,X,test,1,2011-07-05 11:00:00,1,1,UK,TEST
`

func TestOrders(t *testing.T) {
	m := mustMapping(t, ordersMapping)
	crlf := "\ufeff" + strings.ReplaceAll(ordersCSV, "\n", "\r\n")
	inputs := map[string]string{
		"plain":         writeFile(t, "orders.csv", ordersCSV),
		"gzip+bom+crlf": writeGzip(t, "orders.csv.gz", crlf),
	}
	var first []event.Event
	for _, name := range []string{"plain", "gzip+bom+crlf"} {
		t.Run(name, func(t *testing.T) {
			sink := &memSink{}
			rep, err := Run(context.Background(), Options{Path: inputs[name], Mapping: m, ProjectID: 7, ReceivedAt: testReceived}, sink)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := Report{Rows: 6, RowsImported: 5, Events: 4, Orders: 3, Refunds: 1, GuestRows: 2, Passes: 2,
				Filtered: map[string]int{"test row": 1}, Complete: true}
			got := Report{Rows: rep.Rows, RowsImported: rep.RowsImported, Events: rep.Events, Orders: rep.Orders,
				Refunds: rep.Refunds, GuestRows: rep.GuestRows, Passes: rep.Passes, Filtered: rep.Filtered, Complete: rep.Complete}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("report %+v; want %+v", got, want)
			}
			type ev struct{ name, user, anon, time, props string }
			var gotEv []ev
			for i := range sink.events {
				e := &sink.events[i]
				checkEvent(t, e)
				if e.ProjectID != 7 || e.ReceivedAt != testReceived.UnixMilli() {
					t.Fatalf("project or receive time: %+v", e)
				}
				gotEv = append(gotEv, ev{e.Name, e.UserID, e.AnonymousID, time.UnixMilli(e.Time).UTC().Format(time.DateTime), string(e.Properties)})
			}
			// Orders are written after their last line; times are the earliest line's, in
			// UTC (London is on BST, UTC+1, in July).
			wantEv := []ev{
				{"Order Completed", "", "guest:1002", "2011-07-03 09:05:00",
					`{"order_id":"1002","country":"France","revenue":0.001,"total":0.001,"currency":"GBP","products":[{"product_id":"B2","name":"Pen","price":0.001,"quantity":1}]}`},
				{"Order Completed", "17850", "", "2011-07-03 08:59:00",
					`{"order_id":"1001","country":"United Kingdom","revenue":8.40,"total":8.40,"currency":"GBP","products":[{"product_id":"A1","name":"Mug","price":2.55,"quantity":2},{"product_id":"C3","name":"Plate, \"blue\"","price":1.10,"quantity":3}]}`},
				{"Order Refunded", "17850", "", "2011-07-04 10:00:00",
					`{"order_id":"C1003","country":"United Kingdom","total":2.55,"currency":"GBP","products":[{"product_id":"A1","name":"Mug","price":2.55,"quantity":1}]}`},
				{"Order Completed", "", "guest:1004", "2011-07-05 10:00:00",
					`{"order_id":"1004","country":"Spain","revenue":2.55,"total":2.55,"currency":"GBP","products":[{"product_id":"A1","name":"Mug","price":2.55,"quantity":1}]}`},
			}
			if !reflect.DeepEqual(gotEv, wantEv) {
				t.Fatalf("events:\n%v\nwant:\n%v", gotEv, wantEv)
			}
			// The namespace is fixed, so both files give the same ids.
			if first == nil {
				first = sink.events
			} else {
				for i := range first {
					if first[i].ID != sink.events[i].ID {
						t.Fatalf("event %d: ids differ between runs: %s %s", i, first[i].ID, sink.events[i].ID)
					}
				}
			}
		})
	}
}

func TestOrderBadLines(t *testing.T) {
	m := mustMapping(t, ordersMapping)
	// 2001 has lines of two customers; C2002 has a positive quantity; 2003 a negative one;
	// 2004 is good but its second line has a bad price, so the whole order is skipped; so
	// are 2006 (a line with too few columns) and 2007 (a line that is not UTF-8).
	csv := `invoice,sku,name,qty,date,price,customer,country,note
2001,A,a,1,2011-07-03 10:00:00,1.00,100.0,UK,
2001,B,b,1,2011-07-03 10:00:00,1.00,200.0,UK,
C2002,A,a,1,2011-07-03 10:00:00,1.00,100.0,UK,
2003,A,a,-4,2011-07-03 10:00:00,1.00,100.0,UK,
2004,A,a,1,2011-07-03 10:00:00,1.00,100.0,UK,
2004,B,b,1,2011-07-03 10:00:00,1.00x,100.0,UK,
2005,A,a,2,2011-07-03 10:00:00,1.25,100.0,UK,
2006,A,a,1,2011-07-03 10:00:00,1.00,100.0,UK,
2006,B,b,1,2011-07-03 10:00:00
2007,A,a,1,2011-07-03 10:00:00,1.00,100.0,UK,
2007,B,b` + "\xff" + `,1,2011-07-03 10:00:00,1.00,100.0,UK,
`
	path := writeFile(t, "bad_orders.csv", csv)
	sink := &memSink{}
	rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1}, sink)
	if !errors.Is(err, ErrBadRows) || len(sink.events) != 0 || sink.writes != 0 {
		t.Fatalf("all-or-nothing: err %v, %d events, %d writes", err, len(sink.events), sink.writes)
	}
	wantBad := []BadRow{
		{Line: 3, Kind: KindOrderMismatch, Reason: `order "2001": person "200" differs from "100" on line 2`},
		{Line: 4, Kind: KindBadNumber, Column: "qty", Reason: `quantity "1" in column "qty": a refund line must have a negative quantity`},
		{Line: 5, Kind: KindBadNumber, Column: "qty", Reason: `quantity "-4" in column "qty": an order line must have a positive quantity`},
		{Line: 7, Kind: KindBadNumber, Column: "price", Reason: `price "1.00x" in column "price": not a decimal number`},
		{Line: 10, Kind: KindBadRow, Reason: `want 9 columns, got 5`},
		{Line: 12, Kind: KindBadText, Column: "name", Reason: `column "name" is not valid UTF-8`},
	}
	if !reflect.DeepEqual(rep.BadRows, wantBad) {
		t.Fatalf("bad rows:\n%+v\nwant:\n%+v", rep.BadRows, wantBad)
	}

	sink = &memSink{}
	rep, err = Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, SkipBad: true}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sink.events) != 1 || rep.Events != 1 || rep.Orders != 1 || rep.Skipped != 10 || rep.SkippedOrders != 6 || rep.RowsImported != 1 || rep.Rows != 11 {
		t.Fatalf("skip-bad: %d events, report %+v", len(sink.events), rep)
	}
	if got := propsOf(t, &sink.events[0])["order_id"]; got != "2005" {
		t.Fatalf("imported order %v; want 2005", got)
	}
}

const rowsMapping = `{
  "format": "csv",
  "event": {"column": "type", "values": {"pv": "Product Viewed", "buy": "Order Completed"}},
  "person": {"user_id": "uid", "anonymous_id": "anon"},
  "time": {"column": "ts", "format": "2006-01-02 15:04:05", "zone": "Asia/Shanghai"},
  "valid_range": {"from": "2017-11-25", "to": "2017-12-03"},
  "properties": [
    {"column": "n", "name": "n", "type": "int"},
    {"column": "f", "name": "f", "type": "float"},
    {"column": "d", "name": "d", "type": "decimal"},
    {"column": "b", "name": "b", "type": "bool"},
    {"column": "sku", "name": "sku", "required": true}
  ]
}`

// Lines 2, 8, 13-14 (one record with a quoted newline) and 18 are good.
const rowsCSV = "type,uid,anon,ts,n,f,d,b,sku\n" +
	"pv,u1,,2017-11-25 00:00:00,1,1.5,9.90,true,S1\n" +
	"pv,u1,,2017-11-31 10:00:00,1,1.5,9.90,true,S1\n" +
	"pv,u1,,2017-11-26 10:00:00,x,1.5,9.90,true,S1\n" +
	"pv,u1,,2017-11-26 10:00:00,1,1.5,9.90,true,\n" +
	"fav,u1,,2017-11-26 10:00:00,1,1.5,9.90,true,S1\n" +
	"pv,u1,,2017-12-04 00:00:00,1,1.5,9.90,true,S1\n" +
	"buy,,a9,2017-12-03 23:59:59,,,,,S2\n" +
	"pv,,,2017-11-26 10:00:00,1,1.5,9.90,true,S1\n" +
	"pv,u1,,2017-11-26 10:00:00,1,abc,9.90,true,S1\n" +
	"pv,u1,,2017-11-26 10:00:00,1,1.5,9.90,maybe,S1\n" +
	"pv,u1\n" +
	"pv,u1,,2017-11-27 10:00:00,-3,1e3,-0.5,0,\"S\nX\"\n" +
	"pv,u1,,2017-11-26 10:00:00,1,1.5,1.2.3,true,S1\n" +
	"pv,u1,,2017-11-26 10:00:00,1,1.5,9.90,true,S\xff\n" +
	"pv,u1,,2017-11-27 10:00:00,1,1,1,false,S\"1\n" +
	"pv,u2,,2017-11-28 10:00:00,,,,,\"S,3\"\n"

var rowsWantBad = []BadRow{
	{Line: 3, Kind: KindBadTime, Column: "ts", Reason: `time "2017-11-31 10:00:00" in column "ts": want layout "2006-01-02 15:04:05"`},
	{Line: 4, Kind: KindBadNumber, Column: "n", Reason: `"x" in column "n" (property "n", int): not a decimal number`},
	{Line: 5, Kind: KindMissingColumn, Column: "sku", Reason: `required column "sku" (property "sku") is empty`},
	{Line: 6, Kind: KindUnmappedEvent, Column: "type", Reason: `event value "fav" in column "type" is not in event.values`},
	{Line: 7, Kind: KindOutOfRange, Column: "ts", Reason: `time "2017-12-04 00:00:00" (2017-12-04 00:00:00 +08:00) is outside valid_range 2017-11-25..2017-12-03`},
	{Line: 9, Kind: KindMissingColumn, Column: "uid", Reason: `no person: user id column "uid" is empty and anonymous id column "anon" is empty`},
	{Line: 10, Kind: KindBadNumber, Column: "f", Reason: `"abc" in column "f" (property "f", float): not a finite number`},
	{Line: 11, Kind: KindBadValue, Column: "b", Reason: `"maybe" in column "b" (property "b", bool): want true/false, 1/0 or yes/no`},
	{Line: 12, Kind: KindBadRow, Reason: `want 9 columns, got 2`},
	{Line: 15, Kind: KindBadNumber, Column: "d", Reason: `"1.2.3" in column "d" (property "d", decimal): not a decimal number`},
	{Line: 16, Kind: KindBadText, Column: "sku", Reason: `column "sku" is not valid UTF-8`},
	{Line: 17, Kind: KindBadRow, Reason: `bare " in non-quoted-field`},
}

func TestBadRows(t *testing.T) {
	m := mustMapping(t, rowsMapping)
	path := writeFile(t, "rows.csv", rowsCSV)

	t.Run("all-or-nothing", func(t *testing.T) {
		sink := &memSink{}
		rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1}, sink)
		if !errors.Is(err, ErrBadRows) {
			t.Fatalf("want ErrBadRows, got %v", err)
		}
		if !strings.Contains(err.Error(), "12 bad rows, nothing written") {
			t.Fatalf("error %q does not say what happened", err)
		}
		if sink.writes != 0 || rep.Events != 0 || rep.Complete || rep.Passes != 1 {
			t.Fatalf("wrote %d times; report %+v", sink.writes, rep)
		}
		if !reflect.DeepEqual(rep.BadRows, rowsWantBad) {
			t.Fatalf("bad rows:\n%#v\nwant:\n%#v", rep.BadRows, rowsWantBad)
		}
		if rep.Rows != 16 || rep.BadRowCount != 12 || rep.BadRowKinds[KindBadNumber] != 3 || rep.BadRowKinds[KindBadRow] != 2 {
			t.Fatalf("counts: %+v", rep)
		}
	})

	t.Run("skip-bad", func(t *testing.T) {
		sink := &memSink{}
		rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, SkipBad: true, MaxBadRows: 3}, sink)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Events != 4 || rep.Skipped != 12 || rep.BadRowCount != 12 || len(rep.BadRows) != 3 || rep.RowsImported != 4 || !rep.Complete || rep.Passes != 1 {
			t.Fatalf("report %+v", rep)
		}
		var got []string
		for i := range sink.events {
			checkEvent(t, &sink.events[i])
			got = append(got, sink.events[i].Name+" "+string(sink.events[i].Properties))
		}
		want := []string{
			`Product Viewed {"n":1,"f":1.5,"d":9.90,"b":true,"sku":"S1"}`,
			`Order Completed {"sku":"S2"}`,
			`Product Viewed {"n":-3,"f":1000,"d":-0.5,"b":false,"sku":"S\nX"}`,
			`Product Viewed {"sku":"S,3"}`,
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("events:\n%q\nwant:\n%q", got, want)
		}
		if e := sink.events[1]; e.UserID != "" || e.AnonymousID != "a9" {
			t.Fatalf("anonymous event: %+v", e)
		}
		// The range is inclusive at both ends, in the mapping's zone.
		if sink.events[0].Time != time.Date(2017, 11, 24, 16, 0, 0, 0, time.UTC).UnixMilli() {
			t.Fatalf("time %d", sink.events[0].Time)
		}
	})
}

func TestUnmappedPolicies(t *testing.T) {
	csv := "type,uid,ts\npv,u1,1511544070\nfav,u1,1511544071\nfav,u2,1511544072\nzzz,u2,1511544073\n$identify,u2,1511544073\n"
	path := writeFile(t, "u.csv", csv)
	f := func(policy string, wantNames []string, wantUnmapped map[string]int) {
		t.Helper()
		m := mustMapping(t, `{"format":"csv","event":{"column":"type","values":{"pv":"Product Viewed"},"unmapped":"`+policy+`"},
			"person":{"user_id":"uid"},"time":{"column":"ts","format":"unix"}}`)
		sink := &memSink{}
		rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, SkipBad: true}, sink)
		if err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
		if policy == "keep" && (rep.BadRowCount != 1 || rep.BadRows[0].Line != 6 || rep.BadRows[0].Kind != KindBadValue) {
			t.Fatalf("keep: a reserved name must be a bad row: %+v", rep.BadRows)
		}
		var names []string
		for _, e := range sink.events {
			names = append(names, e.Name)
		}
		if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(rep.Unmapped, wantUnmapped) {
			t.Fatalf("%s: names %v unmapped %v", policy, names, rep.Unmapped)
		}
		if rep.Rows != rep.RowsImported+rep.Skipped+sum(rep.Filtered)+sum(rep.Unmapped) {
			t.Fatalf("%s: rows do not add up: %+v", policy, rep)
		}
	}
	f("skip", []string{"Product Viewed"}, map[string]int{"fav": 2, "zzz": 1, "$identify": 1})
	f("keep", []string{"Product Viewed", "fav", "fav", "zzz"}, nil)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestNDJSON(t *testing.T) {
	m := mustMapping(t, `{
	  "format": "ndjson",
	  "event": {"column": "event"},
	  "person": {"user_id": "user.id", "anonymous_id": "anonymousId"},
	  "time": {"column": "timestamp", "format": "rfc3339"},
	  "message_id": {"namespace": "app", "key": ["messageId"]},
	  "properties": [
	    {"column": "properties.price", "name": "price", "type": "decimal"},
	    {"column": "properties.qty", "name": "quantity", "type": "int"},
	    {"column": "properties.items.0.sku", "name": "sku"},
	    {"column": "properties.vip", "name": "vip", "type": "bool"}
	  ]
	}`)
	data := `{"event":"Product Added","user":{"id":"u1"},"timestamp":"2024-01-02T03:04:05.678+08:00","properties":{"price":12.30,"qty":2,"items":[{"sku":"S1"}],"vip":true},"messageId":"m1"}

{"event":"Product Viewed","anonymousId":"a1","timestamp":"2024-01-02T03:04:05Z","properties":{"price":"12.3"},"messageId":"m2"}` + "\r\n" +
		`not json` + "\n" +
		`{"event":"X","user":{"id":{"a":1}},"timestamp":"2024-01-02T03:04:05Z"}` + "\n" +
		`[1,2]` + "\n" +
		`{"event":"X","user":{"id":"u"},"timestamp":"2024-01-02 03:04:05"}` + "\n" +
		`{"event":"X","user":{"id":"u"},"timestamp":"2024-01-02T03:04:05Z"} {}` + "\n" +
		`{"event":"Product Viewed","user":{"id":"u9"},"timestamp":"2024-01-02T03:04:06Z","messageId":"m3"}`
	path := writeGzip(t, "events.ndjson.gz", data)
	sink := &memSink{}
	rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, SkipBad: true}, sink)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, b := range rep.BadRows {
		lines = append(lines, b.Line)
	}
	if !reflect.DeepEqual(lines, []int{4, 5, 6, 7, 8}) || rep.Rows != 8 || rep.Events != 3 {
		t.Fatalf("report %+v", rep)
	}
	if rep.BadRows[1].Kind != KindBadValue || rep.BadRows[1].Column != "user.id" || rep.BadRows[3].Kind != KindBadTime {
		t.Fatalf("bad rows %+v", rep.BadRows)
	}
	e := sink.events[0]
	checkEvent(t, &e)
	if e.Name != "Product Added" || e.UserID != "u1" || e.Time != time.Date(2024, 1, 1, 19, 4, 5, 678e6, time.UTC).UnixMilli() ||
		string(e.Properties) != `{"price":12.30,"quantity":2,"sku":"S1","vip":true}` {
		t.Fatalf("event 0: %+v %s", e, e.Properties)
	}
	if e := sink.events[1]; e.AnonymousID != "a1" || string(e.Properties) != `{"price":12.3}` {
		t.Fatalf("event 1: %+v %s", e, e.Properties)
	}
	if e.ID != messageID("app", "row", "m1") {
		t.Fatalf("id %s is not derived from the messageId key", e.ID)
	}
}

func TestSinkFailure(t *testing.T) {
	var b strings.Builder
	b.WriteString("uid,ts\n")
	for i := 0; i < 12; i++ {
		fmt.Fprintf(&b, "u%d,%d\n", i, 1511544070+i)
	}
	path := writeFile(t, "twelve.csv", b.String())
	m := mustMapping(t, `{`+trackBase+`}`)
	sink := &memSink{failAt: 2}
	rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, BatchSize: 5}, sink)
	if !errors.Is(err, errSinkDown) || !strings.Contains(err.Error(), "5 events written before the failure") {
		t.Fatalf("want the sink error with the written count, got %v", err)
	}
	if rep.Events != 5 || rep.RowsImported != 5 || rep.Complete || len(sink.events) != 5 {
		t.Fatalf("report %+v, sink has %d", rep, len(sink.events))
	}

	// Without failure: batches of at most BatchSize, ids stable across runs and derived
	// from the file name when the mapping names no namespace.
	sink = &memSink{}
	if _, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, BatchSize: 5}, sink); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sink.sizes, []int{5, 5, 2}) {
		t.Fatalf("batch sizes %v", sink.sizes)
	}
	if sink.events[0].ID != messageID("twelve.csv", "line", "2") {
		t.Fatalf("id of line 2: %s", sink.events[0].ID)
	}
	again := &memSink{}
	if _, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1}, again); err != nil {
		t.Fatal(err)
	}
	for i := range again.events {
		if again.events[i].ID != sink.events[i].ID {
			t.Fatalf("event %d: id changed between runs", i)
		}
	}
}

func TestRunOptions(t *testing.T) {
	var b strings.Builder
	b.WriteString("uid,ts\n")
	for i := 0; i < 25000; i++ {
		fmt.Fprintf(&b, "u%d,%d\n", i%100, 1511544070+i)
	}
	path := writeFile(t, "many.csv", b.String())
	m := mustMapping(t, `{`+trackBase+`}`)

	var progress []int
	rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, DryRun: true,
		Progress: func(rows int) { progress = append(progress, rows) }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(progress, []int{10000, 20000, 25000, 10000, 20000, 25000}) {
		t.Fatalf("progress %v", progress)
	}
	if !rep.DryRun || rep.Events != 25000 || !rep.Complete {
		t.Fatalf("dry run report %+v", rep)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Path: path, Mapping: m, ProjectID: 1}, &memSink{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}

	f := func(opts Options, sink event.Sink, want string) {
		t.Helper()
		if _, err := Run(context.Background(), opts, sink); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("want error %q, got %v", want, err)
		}
	}
	f(Options{Path: path, ProjectID: 1}, &memSink{}, "a mapping is required")
	f(Options{Path: path, Mapping: m, MappingPath: "x.json", ProjectID: 1}, &memSink{}, "not both")
	f(Options{Path: path, Mapping: m}, &memSink{}, "project id is required")
	f(Options{Path: path, Mapping: m, ProjectID: 1}, nil, "sink is required")
	f(Options{Path: path + ".missing", Mapping: m, ProjectID: 1}, &memSink{}, "no such file")
	f(Options{Path: path, MappingPath: path + ".json", ProjectID: 1}, &memSink{}, "cannot read mapping")
	other := mustMapping(t, `{"format":"csv","event":{"name":"A"},"person":{"user_id":"customer"},"time":{"column":"ts","format":"unix"}}`)
	f(Options{Path: path, Mapping: other, ProjectID: 1}, &memSink{}, `cannot find column "customer" of the mapping in the csv header "uid,ts"`)
	empty := writeFile(t, "empty.csv", "")
	f(Options{Path: empty, Mapping: m, ProjectID: 1}, &memSink{}, "the file is empty")
}

func TestOrderMoneyAndCurrency(t *testing.T) {
	m := mustMapping(t, `{
	  "format": "csv", "csv": {"delimiter": ";"},
	  "person": {"anonymous_id": "device"},
	  "time": {"column": "ts", "format": "unix_ms"},
	  "order": {"key": "order", "quantity": "qty", "price": "price", "currency_column": "cur"}
	}`)
	csv := "order;qty;price;cur;ts;device\n" +
		"1;1;1.00;GBP;1700000000000;d1\n" +
		"1;1;1.00;EUR;1700000000000;d1\n" +
		"2;1;1.00;pounds;1700000000000;d1\n" +
		"3;1;50000000000;EUR;1700000000000;d1\n" +
		"3;1;50000000000;EUR;1700000000000;d1\n" +
		"4;2;80000000000;EUR;1700000000000;d1\n" +
		"5;3;0.3333;eur;1700000000001;d1\n" +
		"5;1;0.0001;eur;1699999999999;d1\n"
	path := writeFile(t, "money.csv", csv)
	sink := &memSink{}
	rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, SkipBad: true}, sink)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range rep.BadRows {
		got = append(got, fmt.Sprintf("%d %s %s", b.Line, b.Kind, b.Reason))
	}
	want := []string{
		`3 order_mismatch order "1": currency "EUR" differs from "GBP" on line 2`,
		`4 bad_value currency "POUNDS" in column "cur" is not an ISO 4217 code`,
		`6 order_overflow order "3": total out of range`,
		`7 bad_number quantity × price (2 × 80000000000) is out of range`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("bad rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(sink.events) != 1 {
		t.Fatalf("%d events", len(sink.events))
	}
	e := sink.events[0]
	checkEvent(t, &e)
	if e.Time != 1699999999999 || e.AnonymousID != "d1" ||
		string(e.Properties) != `{"order_id":"5","revenue":1.00,"total":1.00,"currency":"EUR","products":[{"price":0.3333,"quantity":3},{"price":0.0001,"quantity":1}]}` {
		t.Fatalf("event %+v %s", e, e.Properties)
	}
}
