package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/jingyun/jingyun/query"
	"github.com/jingyun/jingyun/store"
)

// ProductsResult is a products analysis: the line items (Segment's products[] array) of the
// order events in the range, summed per product, the top Limit by Sort. Totals cover every
// product, not only the listed ones.
type ProductsResult struct {
	Event    string            `json:"event"`
	Sort     query.ProductSort `json:"sort"`
	Products []ProductRow      `json:"products"`
	Totals   ProductTotals     `json:"totals"`
}

// ProductRow is one product. ID is its product_id (else sku, else name); Name and Category
// are those of its latest line item that has them (at one instant, the greater text). Orders counts order events with the
// product, Units sums quantity (1 when absent), Revenue sums price × quantity in the
// project's currency, exact to 1/10000; Buyers counts persons.
type ProductRow struct {
	ID       string  `json:"id"`
	Name     string  `json:"name,omitempty"`
	Category string  `json:"category,omitempty"`
	Orders   int64   `json:"orders"`
	Units    float64 `json:"units"`
	Revenue  float64 `json:"revenue"`
	Buyers   int64   `json:"buyers"`
}

// ProductTotals sums the analysis. Orders counts the order events in the range;
// WithItems those with at least one valid line item; Products the distinct products;
// SkippedItems the line items without an id, sku or name, with a price or quantity that
// is not a number, or with an amount over 9×10^14 (they are left out of every figure).
type ProductTotals struct {
	Orders       int64   `json:"orders"`
	WithItems    int64   `json:"with_items"`
	Products     int     `json:"products"`
	Units        float64 `json:"units"`
	Revenue      float64 `json:"revenue"`
	Buyers       int64   `json:"buyers"`
	SkippedItems int64   `json:"skipped_items"`
}

type productAcc struct {
	row               ProductRow
	revenue           int64 // 1/10000 of the currency
	lastName, lastCat int64 // ts of the line items Name and Category come from
	buyers            map[int64]struct{}
}

type lineItem struct {
	ProductID json.RawMessage `json:"product_id"`
	SKU       json.RawMessage `json:"sku"`
	Name      json.RawMessage `json:"name"`
	Category  json.RawMessage `json:"category"`
	Price     json.RawMessage `json:"price"`
	Quantity  json.RawMessage `json:"quantity"`
}

// text is a JSON string's value or a number's text ("" for anything else).
func text(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err == nil {
		return string(raw)
	}
	return ""
}

// number is a JSON number (or a numeric string); ok is false for anything else.
func number(raw json.RawMessage, def float64) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return def, true
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		raw = []byte(s)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func runProducts(ctx context.Context, st store.EventStore, p *query.Plan) (*ProductsResult, error) {
	c := p.ProductsSQL()
	acc := map[string]*productAcc{}
	buyers := map[int64]struct{}{}
	var tot ProductTotals
	err := st.Query(ctx, c.SQL, c.Args, func(row []any) error {
		person, err := toInt(row[0])
		if err != nil {
			return err
		}
		ts, err := toInt(row[1])
		if err != nil {
			return err
		}
		props, _ := row[2].(string)
		tot.Orders++
		var ev struct {
			Products []json.RawMessage `json:"products"`
		}
		if json.Unmarshal([]byte(props), &ev) != nil {
			return nil // products is not an array: no line items
		}
		seen := map[string]bool{}
		for _, raw := range ev.Products {
			var it lineItem
			if json.Unmarshal(raw, &it) != nil {
				tot.SkippedItems++
				continue
			}
			id := text(it.ProductID)
			if id == "" {
				id = text(it.SKU)
			}
			if id == "" {
				id = text(it.Name)
			}
			price, okP := number(it.Price, 0)
			qty, okQ := number(it.Quantity, 1)
			// 9e14 keeps price × quantity × 10000 inside int64 with room for the sums.
			if id == "" || !okP || !okQ || math.Abs(price*qty) > 9e14 {
				tot.SkippedItems++
				continue
			}
			a := acc[id]
			if a == nil {
				a = &productAcc{row: ProductRow{ID: id}, buyers: map[int64]struct{}{}, lastName: math.MinInt64, lastCat: math.MinInt64}
				acc[id] = a
			}
			if !seen[id] {
				seen[id] = true
				a.row.Orders++
			}
			a.row.Units += qty
			a.revenue += int64(math.Round(price * qty * 10000))
			a.buyers[person] = struct{}{}
			if name := text(it.Name); name != "" && (ts > a.lastName || ts == a.lastName && name > a.row.Name) {
				a.lastName, a.row.Name = ts, name
			}
			if cat := text(it.Category); cat != "" && (ts > a.lastCat || ts == a.lastCat && cat > a.row.Category) {
				a.lastCat, a.row.Category = ts, cat
			}
		}
		if len(seen) > 0 {
			tot.WithItems++
			buyers[person] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot run products analysis: %w", err)
	}
	rows := make([]ProductRow, 0, len(acc))
	var revenue int64
	for _, a := range acc {
		a.row.Revenue = float64(a.revenue) / 10000
		a.row.Buyers = int64(len(a.buyers))
		revenue += a.revenue
		tot.Units += a.row.Units
		rows = append(rows, a.row)
	}
	key := func(r *ProductRow) float64 {
		switch p.Spec.Sort {
		case query.SortOrders:
			return float64(r.Orders)
		case query.SortUnits:
			return r.Units
		case query.SortBuyers:
			return float64(r.Buyers)
		}
		return r.Revenue
	}
	sort.Slice(rows, func(i, j int) bool {
		if a, b := key(&rows[i]), key(&rows[j]); a != b {
			return a > b
		}
		return rows[i].ID < rows[j].ID
	})
	tot.Products = len(rows)
	tot.Revenue = float64(revenue) / 10000
	tot.Buyers = int64(len(buyers))
	if len(rows) > p.Spec.Limit {
		rows = rows[:p.Spec.Limit]
	}
	return &ProductsResult{Event: p.Spec.Event, Sort: p.Spec.Sort, Products: rows, Totals: tot}, nil
}
