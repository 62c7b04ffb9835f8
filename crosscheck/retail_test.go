package crosscheck

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jingyun/jingyun/importer"
	"github.com/jingyun/jingyun/query"
)

// retailRef is the reference computation over the Online Retail CSV, written here from the
// file's own columns and not from the importer: money in exact integer units of 1/10000
// pound (the file's prices have at most three decimals), months read from the local
// InvoiceDate text (the file is in London time, which is also the project's zone, so the
// month of a row is the first seven characters of its date).
type retailRef struct {
	months   []string         // "2010-12-01" … "2011-10-01"
	revenue  map[string]int64 // Σ Quantity × UnitPrice of invoices (not C…), 1/10000 £
	refunds  map[string]int64 // Σ −Quantity × UnitPrice of credit notes (C…), 1/10000 £
	invoices map[string]map[string]bool
	// customers: months (of invoices, not credit notes) in which each customer bought.
	customers map[string]map[string]bool
	rows      int
	skipped   map[string]int
}

// readRetail reads the CSV. It leaves out exactly the rows that the skip rules of
// docs/examples/online_retail.json leave out, because those rows are not sales:
//   - "bad-debt adjustment": InvoiceNo starting with A (3 manual write-offs of ±11,062.06
//     with no goods and no customer);
//   - "stock adjustment": a negative Quantity on an invoice that is not a credit note
//     (1,169 rows with price 0: damaged, lost or recounted stock, no customer).
//
// Every other row is an invoice line (an order) or a credit-note line (a refund), guest
// rows (no CustomerID) included: they count in revenue, not in customer cohorts.
func readRetail(t *testing.T, path string) *retailRef {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("cannot open %s: %v", path, err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("cannot read %s: %v", path, err)
	}
	r := csv.NewReader(gz)
	header, err := r.Read()
	if err != nil {
		t.Fatalf("cannot read header of %s: %v", path, err)
	}
	if want := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"; strings.Join(header, ",") != want {
		t.Fatalf("%s: header %v, want %s", path, header, want)
	}
	ref := &retailRef{revenue: map[string]int64{}, refunds: map[string]int64{}, invoices: map[string]map[string]bool{},
		customers: map[string]map[string]bool{}, skipped: map[string]int{}}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		ref.rows++
		inv, qty, date, price, cust := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[3]), rec[4], strings.TrimSpace(rec[5]), strings.TrimSpace(rec[6])
		credit := strings.HasPrefix(inv, "C")
		switch {
		case strings.HasPrefix(inv, "A"):
			ref.skipped["bad-debt adjustment"]++
			continue
		case strings.HasPrefix(qty, "-") && !credit:
			ref.skipped["stock adjustment"]++
			continue
		}
		q, err := strconv.ParseInt(qty, 10, 64)
		if err != nil {
			t.Fatalf("%s:%d: quantity %q: %v", path, line, qty, err)
		}
		p, err := tenThousandths(price)
		if err != nil {
			t.Fatalf("%s:%d: price: %v", path, line, err)
		}
		if len(date) < 10 || date[4] != '-' || date[7] != '-' {
			t.Fatalf("%s:%d: date %q is not YYYY-MM-DD…", path, line, date)
		}
		month := date[:7] + "-01"
		if credit {
			ref.refunds[month] -= q * p
			continue
		}
		ref.revenue[month] += q * p
		if ref.invoices[month] == nil {
			ref.invoices[month] = map[string]bool{}
		}
		ref.invoices[month][inv] = true
		if cust != "" {
			id := strings.TrimSuffix(cust, ".0")
			if ref.customers[id] == nil {
				ref.customers[id] = map[string]bool{}
			}
			ref.customers[id][month] = true
		}
	}
	for m := time.Date(2010, 12, 1, 0, 0, 0, 0, time.UTC); m.Year() < 2011 || m.Month() <= 10; m = m.AddDate(0, 1, 0) {
		ref.months = append(ref.months, m.Format("2006-01-02"))
	}
	return ref
}

// tenThousandths parses a non-negative decimal with at most four places into 1/10000 units.
func tenThousandths(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 4 || whole == "" || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("%q is not a decimal with at most 4 places", s)
	}
	frac += strings.Repeat("0", 4-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%q is not a decimal", s)
	}
	return w*10000 + f, nil
}

// pounds formats 1/10000 units as pounds.
func pounds(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%04d", sign, v/10000, v%10000)
}

// monthIndex is year·12 + month − 1 of a "2006-01-02" label.
func monthIndex(label string) int {
	y, _ := strconv.Atoi(label[:4])
	m, _ := strconv.Atoi(label[5:7])
	return y*12 + m - 1
}

// cohorts is the reference first-purchase cohort table: per month of a customer's first
// invoice, the customers (size) and, for n = 0…periods, those with an invoice in month
// cohort+n.
func (ref *retailRef) cohorts(periods int) map[string][]int64 {
	out := map[string][]int64{}
	for _, months := range ref.customers {
		first := slices.Min(slices.Collect(maps.Keys(months)))
		row := out[first]
		if row == nil {
			row = make([]int64, periods+2)
			out[first] = row
		}
		row[0]++
		for m := range months {
			if n := monthIndex(m) - monthIndex(first); n <= periods {
				row[n+1]++
			}
		}
	}
	return out
}

// TestOnlineRetail imports the UCI Online Retail file with docs/examples/online_retail.json
// into DuckDB and ClickHouse (project zone Europe/London) and checks, on both stores, the
// monthly revenue, refunds and net revenue of a trends spec, monthly invoice and customer
// counts, and first-purchase monthly retention of customers (guests excluded) against the
// reference computed over the CSV in this test.
func TestOnlineRetail(t *testing.T) {
	data := datasets(t)
	path := filepath.Join(data, "online_retail_2010-12_to_2011-10.csv.gz")
	ref := readRetail(t, path)
	s := openStores(t)
	ctx := context.Background()
	const project = 4
	rep, err := importer.Run(ctx, importer.Options{
		Path: path, MappingPath: filepath.Join(repoRoot(t), "docs", "examples", "online_retail.json"),
		ProjectID: project, ReceivedAt: importedAt,
	}, s.sink(t))
	if err != nil {
		b, _ := json.Marshal(rep)
		t.Fatalf("cannot import the Online Retail file: %v\n%s", err, b)
	}
	if !rep.Complete || rep.Rows != ref.rows {
		t.Fatalf("import: complete %v, %d rows, the reference read %d", rep.Complete, rep.Rows, ref.rows)
	}
	for rule, n := range ref.skipped {
		if rep.Filtered[rule] != n {
			t.Errorf("skip rule %q: the importer skipped %d rows, the reference %d", rule, rep.Filtered[rule], n)
		}
	}
	events, persons := checkSameContents(t, s, project)
	t.Logf("online retail: %d rows, %d events (%d orders, %d refunds), %d persons in each store; skipped %v",
		rep.Rows, events, rep.Orders, rep.Refunds, persons, rep.Filtered)

	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	env := query.Env{Project: project, Calendar: query.Calendar{TZ: london}, Now: time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)}
	const rng = `"date_range": {"from": "2010-12-01", "to": "2011-10-31"}`

	t.Run("revenue", func(t *testing.T) {
		spec := mustDecode(t, `{"kind": "trends", `+rng+`, "interval": "month",
			"series": [{"event": "Order Completed", "math": "sum", "property": "total"},
			           {"event": "Order Refunded", "math": "sum", "property": "total"}],
			"formula": "A - B"}`)
		want := map[string]map[string]int64{"A": ref.revenue, "B": ref.refunds, "formula": {}}
		for _, m := range ref.months {
			want["formula"][m] = ref.revenue[m] - ref.refunds[m]
		}
		for _, st := range s.all() {
			sp := spec
			res := runOne(t, st, &sp, env)
			if len(res.Trends.Series) != 3 {
				t.Fatalf("%s: %d series, want A, B and the formula", st.Name(), len(res.Trends.Series))
			}
			worst := 0.0
			for _, se := range res.Trends.Series {
				if len(se.Points) != len(ref.months) {
					t.Errorf("%s: series %s has %d points, want %d months", st.Name(), se.Series, len(se.Points), len(ref.months))
				}
				for i, p := range se.Points {
					w := want[se.Series][ref.months[i]]
					// Exact at 1/10000 £: the sums are floats (see the report), so the value
					// must round to the reference's exact number of ten-thousandths.
					if p.Time != ref.months[i] || int64(math.Round(p.Value*10000)) != w {
						t.Errorf("%s: series %s point %d (%s): engine %.6f, reference %s %s", st.Name(), se.Series, i, p.Time, p.Value, ref.months[i], pounds(w))
					}
					worst = max(worst, math.Abs(p.Value-float64(w)/10000))
				}
			}
			t.Logf("%s: monthly revenue, refunds and net revenue equal the CSV to 1/10000 £ (largest float error %.2g £); net revenue 2011-04: %s",
				st.Name(), worst, pounds(want["formula"]["2011-04-01"]))
		}
		runBoth(t, s, spec, env)
	})
	t.Run("invoices and customers", func(t *testing.T) {
		// Invoices per month (one Order Completed per invoice, guests included) and customers
		// per month (unique persons, guests excluded: a guest's id is guest:<InvoiceNo>).
		spec := mustDecode(t, `{"kind": "trends", `+rng+`, "interval": "month",
			"series": [{"event": "Order Completed"},
			           {"event": "Order Completed", "math": "dau", "filters": [{"property": "distinct_id", "operator": "not_contains", "value": "guest:"}]}]}`)
		customers := map[string]int64{}
		for _, months := range ref.customers {
			for m := range months {
				customers[m]++
			}
		}
		res := runBoth(t, s, spec, env)
		for _, se := range res.Trends.Series {
			for i, p := range se.Points {
				m := ref.months[i]
				w := int64(len(ref.invoices[m]))
				if se.Series == "B" {
					w = customers[m]
				}
				if p.Value != float64(w) {
					t.Errorf("series %s %s: engine %v, reference %d", se.Series, m, p.Value, w)
				}
			}
		}
	})
	t.Run("retention", func(t *testing.T) {
		spec := mustDecode(t, `{"kind": "retention", `+rng+`,
			"filters": [{"property": "distinct_id", "operator": "not_contains", "value": "guest:"}],
			"start_event": {"event": "Order Completed"}, "return_event": {"event": "Order Completed"},
			"period": "month", "first_time": true, "periods": 10}`)
		res := runBoth(t, s, spec, env)
		got := cohortTable(res)
		want := ref.cohorts(10)
		compareCohorts(t, "first-purchase cohorts vs the CSV", got, want)
		compareCohorts(t, "first-purchase cohorts vs retention()", got, retentionRef(t, s.ch, spec, env))
		var size int64
		for _, c := range want {
			size += c[0]
		}
		t.Logf("first-purchase monthly cohorts: %d customers in %d cohorts; 2010-12: %v", size, len(want), want["2010-12-01"])
		if size != int64(len(ref.customers)) || len(want) != len(ref.months) {
			t.Errorf("the reference has %d customers in %d cohorts, want %d in %d", size, len(want), len(ref.customers), len(ref.months))
		}
	})
}
