package importer

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The shared datasets live beside the repository (see ../shared/datasets/README.md).
var datasetsDir = filepath.Join("..", "..", "shared", "datasets")

func dataset(t *testing.T, name string) string {
	t.Helper()
	if _, err := os.Stat(datasetsDir); errors.Is(err, os.ErrNotExist) {
		t.Skipf("skipping: the shared datasets folder %s is absent", datasetsDir)
	}
	path := filepath.Join(datasetsDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("dataset missing from %s: %v", datasetsDir, err)
	}
	return path
}

func exampleMapping(t *testing.T, name string) *Mapping {
	t.Helper()
	m, err := LoadMapping(filepath.Join("..", "docs", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOnlineRetail imports the UCI Online Retail file with the shipped mapping and checks
// monthly net revenue and first-purchase cohorts computed from the events against a
// straightforward computation over the CSV itself. Cohorts count customers (CustomerID)
// only: guests have one synthetic id per invoice and cannot return.
func TestOnlineRetail(t *testing.T) {
	path := dataset(t, "online_retail_2010-12_to_2011-10.csv.gz")
	sink := &memSink{}
	rep, err := Run(context.Background(), Options{Path: path, Mapping: exampleMapping(t, "online_retail.json"), ProjectID: 1}, sink)
	if err != nil {
		t.Fatalf("Run: %v (report %+v)", err, rep)
	}
	if rep.Rows != 431673 || rep.BadRowCount != 0 || !rep.Complete ||
		!reflect.DeepEqual(rep.Filtered, map[string]int{"bad-debt adjustment": 3, "stock adjustment": 1169}) ||
		rep.Rows != rep.RowsImported+rep.Skipped+sum(rep.Filtered) || rep.Events != len(sink.events) ||
		rep.Events != rep.Orders+rep.Refunds {
		t.Fatalf("report %+v", rep)
	}
	t.Logf("rows %d, events %d (orders %d, refunds %d), guest rows %d, %d ms",
		rep.Rows, rep.Events, rep.Orders, rep.Refunds, rep.GuestRows, rep.DurationMS)

	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}

	// From the events.
	gotRevenue := map[string]int64{} // in 1/1000 GBP
	gotOrders := map[string]int{}    // "Order Completed 2011-01" → count
	firstBuy := map[string]string{}
	active := map[string]map[string]bool{} // customer → months with an order
	ids := map[string]bool{}
	guests := map[string]bool{}
	for i := range sink.events {
		e := &sink.events[i]
		checkEvent(t, e)
		if ids[e.ID] {
			t.Fatalf("duplicate event id %s", e.ID)
		}
		ids[e.ID] = true
		var props struct {
			OrderID  string      `json:"order_id"`
			Total    json.Number `json:"total"`
			Revenue  json.Number `json:"revenue"`
			Currency string      `json:"currency"`
			Products []struct {
				ProductID string      `json:"product_id"`
				Price     json.Number `json:"price"`
				Quantity  int64       `json:"quantity"`
			} `json:"products"`
		}
		dec := json.NewDecoder(strings.NewReader(string(e.Properties)))
		dec.UseNumber()
		if err := dec.Decode(&props); err != nil {
			t.Fatal(err)
		}
		total := milli(t, string(props.Total))
		if props.Currency != "GBP" || len(props.Products) == 0 {
			t.Fatalf("order properties %s", e.Properties)
		}
		// The total is the exact sum of its lines.
		var lines int64
		for _, p := range props.Products {
			lines += milli(t, string(p.Price)) * p.Quantity
		}
		if lines != total {
			t.Fatalf("order %s: total %s is not the sum of its lines %d", props.OrderID, props.Total, lines)
		}
		month := time.UnixMilli(e.Time).In(london).Format("2006-01")
		gotOrders[e.Name+" "+month]++
		switch e.Name {
		case "Order Completed":
			if props.Revenue != props.Total {
				t.Fatalf("revenue %s != total %s", props.Revenue, props.Total)
			}
			gotRevenue[month] += total
			if e.UserID != "" {
				if f, ok := firstBuy[e.UserID]; !ok || month < f {
					firstBuy[e.UserID] = month
				}
				if active[e.UserID] == nil {
					active[e.UserID] = map[string]bool{}
				}
				active[e.UserID][month] = true
			}
		case "Order Refunded":
			gotRevenue[month] -= total
		default:
			t.Fatalf("unexpected event %q", e.Name)
		}
		if e.UserID == "" {
			if e.AnonymousID != "guest:"+props.OrderID {
				t.Fatalf("guest order %s has anonymous id %q", props.OrderID, e.AnonymousID)
			}
			guests[e.AnonymousID] = true
		}
	}

	// The reference, straight from the CSV: every row's Quantity × UnitPrice in its
	// invoice month, except the three "A" invoices (bad-debt adjustments, which the mapping
	// skips; the stock adjustments it skips have price 0 and add nothing).
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bufio.NewReader(zr))
	header, err := cr.Read()
	if err != nil || strings.Join(header, ",") != "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country" {
		t.Fatalf("header %v %v", header, err)
	}
	wantRevenue := map[string]int64{}
	invoices := map[string]string{} // "Order Completed 2011-01|536365"
	wantFirst := map[string]string{}
	wantActive := map[string]map[string]bool{}
	guestInvoices := map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		inv, qtyS, date, priceS, cust := rec[0], rec[3], rec[4], rec[5], rec[6]
		if strings.HasPrefix(inv, "A") {
			continue
		}
		month := date[:7]
		qty, err := strconv.ParseInt(qtyS, 10, 64)
		if err != nil {
			t.Fatalf("reference: bad quantity in %v", rec)
		}
		wantRevenue[month] += qty * milli(t, priceS)
		if qty < 0 && !strings.HasPrefix(inv, "C") {
			continue // a stock adjustment, not an order
		}
		name := "Order Completed"
		if strings.HasPrefix(inv, "C") {
			name = "Order Refunded"
		}
		invoices[inv] = name + " " + month
		if cust == "" {
			guestInvoices[inv] = true
			continue
		}
		id, err := strconv.ParseFloat(cust, 64)
		if err != nil {
			t.Fatalf("reference: customer %q", cust)
		}
		c := strconv.FormatInt(int64(id), 10)
		if name == "Order Completed" {
			if f, ok := wantFirst[c]; !ok || month < f {
				wantFirst[c] = month
			}
			if wantActive[c] == nil {
				wantActive[c] = map[string]bool{}
			}
			wantActive[c][month] = true
		}
	}
	wantOrders := map[string]int{}
	for _, k := range invoices {
		wantOrders[k]++
	}

	months := make([]string, 0, len(wantRevenue))
	for m := range wantRevenue {
		months = append(months, m)
	}
	sort.Strings(months)
	if len(months) != 11 || !reflect.DeepEqual(gotRevenue, wantRevenue) {
		t.Errorf("net revenue per month in 1/1000 GBP:\n%v\nreference:\n%v", gotRevenue, wantRevenue)
	}
	for _, m := range months {
		t.Logf("net revenue %s: %d.%03d GBP", m, wantRevenue[m]/1000, wantRevenue[m]%1000)
	}
	if !reflect.DeepEqual(gotOrders, wantOrders) {
		t.Errorf("orders per month:\n%v\nreference:\n%v", gotOrders, wantOrders)
	}
	if len(guests) != len(guestInvoices) {
		t.Errorf("guest persons: %d, guest invoices: %d (guests must not merge)", len(guests), len(guestInvoices))
	}

	// First-purchase cohorts: customers per cohort month, and how many of them ordered N
	// months later.
	cohorts := func(first map[string]string, act map[string]map[string]bool) map[string][]int {
		out := map[string][]int{}
		for c, f := range first {
			row := out[f]
			if row == nil {
				row = make([]int, 11)
				out[f] = row
			}
			for m := range act[c] {
				row[monthsBetween(f, m)]++
			}
		}
		return out
	}
	got, want := cohorts(firstBuy, active), cohorts(wantFirst, wantActive)
	if !reflect.DeepEqual(got, want) || len(firstBuy) != len(wantFirst) {
		t.Errorf("cohorts:\n%v\nreference:\n%v", got, want)
	}
	t.Logf("customers %d; cohort 2010-12: %v", len(wantFirst), want["2010-12"])
}

// milli parses a decimal with at most three places into thousandths, exactly: the test's
// own parser, independent of the importer's.
func milli(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 3 {
		t.Fatalf("reference: %q has more than 3 decimals", s)
	}
	frac += strings.Repeat("0", 3-len(frac))
	neg := strings.HasPrefix(whole, "-")
	w, err1 := strconv.ParseInt(strings.TrimPrefix(whole, "-"), 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("reference: bad decimal %q", s)
	}
	v := w*1000 + f
	if neg {
		v = -v
	}
	return v
}

func monthsBetween(a, b string) int {
	ta, _ := time.Parse("2006-01", a)
	tb, _ := time.Parse("2006-01", b)
	return (tb.Year()-ta.Year())*12 + int(tb.Month()) - int(ta.Month())
}

// TestTaobao imports both Taobao files with the shipped mapping. The 43-users file has one
// row from 2017-09-11, outside the competition's range: it is reported with its line.
func TestTaobao(t *testing.T) {
	m := exampleMapping(t, "taobao_userbehavior.json")
	path := dataset(t, "taobao_userbehavior_43users.csv")

	sink := &memSink{}
	rep, err := Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1}, sink)
	if !errors.Is(err, ErrBadRows) || sink.writes != 0 {
		t.Fatalf("all-or-nothing: %v, %d writes", err, sink.writes)
	}
	wantBad := []BadRow{{Line: 4171, Kind: KindOutOfRange, Column: "unix_ts",
		Reason: `time "1505117799" (2017-09-11 16:16:39 +08:00) is outside valid_range 2017-11-25..2017-12-03`}}
	if !reflect.DeepEqual(rep.BadRows, wantBad) || rep.Rows != 4321 {
		t.Fatalf("bad rows %+v, rows %d", rep.BadRows, rep.Rows)
	}

	rep, err = Run(context.Background(), Options{Path: path, Mapping: m, ProjectID: 1, SkipBad: true}, sink)
	if err != nil || rep.Events != 4320 || rep.Skipped != 1 || len(sink.events) != 4320 {
		t.Fatalf("skip-bad: %v, report %+v", err, rep)
	}

	// The reference: behaviours per event name from the raw file, with the range checked
	// in China Standard Time (UTC+8, no daylight saving).
	cst := time.FixedZone("CST", 8*3600)
	lo := time.Date(2017, 11, 25, 0, 0, 0, 0, cst).Unix()
	hi := time.Date(2017, 12, 4, 0, 0, 0, 0, cst).Unix()
	names := map[string]string{"pv": "Product Viewed", "cart": "Product Added", "fav": "Product Added to Wishlist", "buy": "Order Completed"}
	check := func(path string, events []int) map[string]bool {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			f := strings.Split(line, ",")
			ts, _ := strconv.ParseInt(f[4], 10, 64)
			if ts >= lo && ts < hi {
				want[names[f[3]]]++
			}
		}
		got := map[string]int{}
		ids := map[string]bool{}
		for _, i := range events {
			e := &sink.events[i]
			checkEvent(t, e)
			got[e.Name]++
			ids[e.ID] = true
			p := propsOf(t, e)
			if p["product_id"] == "" || p["category"] == "" || e.UserID == "" {
				t.Fatalf("event %+v %s", e, e.Properties)
			}
		}
		if !reflect.DeepEqual(got, want) || len(ids) != len(events) {
			t.Fatalf("%s: events per name %v, reference %v; %d distinct ids", path, got, want, len(ids))
		}
		return ids
	}
	var all []int
	for i := range sink.events {
		all = append(all, i)
	}
	ids43 := check(path, all)

	// The 110k-row sample: all in range. Four of its rows are also in the 43-users file
	// and get the same ids, so a deduplicating loader keeps them once.
	sample := dataset(t, "taobao_userbehavior_sample.csv")
	sink.events = nil
	rep, err = Run(context.Background(), Options{Path: sample, Mapping: m, ProjectID: 1}, sink)
	if err != nil || rep.Events != 110300 {
		t.Fatalf("sample: %v, report %+v", err, rep)
	}
	all = all[:0]
	for i := range sink.events {
		all = append(all, i)
	}
	idsSample := check(sample, all)
	shared := 0
	for id := range idsSample {
		if ids43[id] {
			shared++
		}
	}
	if shared != 4 {
		t.Fatalf("ids shared by the two files: %d, want the 4 identical rows", shared)
	}
}
