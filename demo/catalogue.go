package demo

import (
	"math"
	"strconv"
	"strings"
)

// Product is one article of the demo shop. Every product has one SKU.
type Product struct {
	ID       string // "P10001"
	SKU      string // "FS-10001-02"
	Name     string // "织语 纯棉圆领T恤 女款"
	Category string // "服饰"
	Brand    string
	Price    Money
	// GroupPrice is the 拼团 price, or 0 when the product is not sold as a group buy.
	GroupPrice Money
	// GroupSize is the number of buyers a group buy needs (2 or 3), 0 without group buy.
	GroupSize int
	Stock     int
	Season    Season
	// Popularity is the product's share of base demand (the weights sum to 1); they follow
	// a Zipf-like long tail. Seasonal products multiply it by the season's curve.
	Popularity float64
	// Quality in [0, 1] drives ratings and refunds.
	Quality float64

	cat      int
	noun     string
	maxQty   int
	frag     []byte // "product_id":…,"brand":… without braces and price
	listFrag []byte // {"product_id":…,"name":…,"price":… without the closing brace
}

// categoryWeights biases demand between categories (food and fashion lead in social commerce).
var categoryWeights = []float64{1.2, 1.1, 1.5, 0.8, 0.7, 0.8, 0.9, 0.5}

// Catalogue returns the products of the demo shop for a seed (about 350, the number
// depends on the seed), sorted by category. The result is freshly allocated; the generator
// uses the same catalogue for the same seed.
func Catalogue(seed int64) []Product {
	r := newRNG(seed, 1<<62)
	var ps []Product
	for ci := range categoryDefs {
		c := &categoryDefs[ci]
		for ii := range c.items {
			it := &c.items[ii]
			n := 2 + r.intn(3)
			if n > len(c.brands) {
				n = len(c.brands)
			}
			brands := make([]int, len(c.brands))
			for i := range brands {
				brands[i] = i
			}
			for k := 0; k < n; k++ {
				j := k + r.intn(len(brands)-k)
				brands[k], brands[j] = brands[j], brands[k]
				ps = append(ps, newProduct(&r, ci, it, c.brands[brands[k]], len(ps)))
			}
		}
	}
	// Zipf-like popularity over a random order of the products.
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	for i := len(order) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	sum := 0.0
	for rank, i := range order {
		ps[i].Popularity = categoryWeights[ps[i].cat] / math.Pow(float64(rank+1), 1.05)
		sum += ps[i].Popularity
	}
	for rank, i := range order {
		p := &ps[i]
		p.Popularity /= sum
		// Stock covers roughly some weeks of demand; a few tail products are overstocked
		// (slow movers) and a few top sellers are sold out.
		p.Stock = 20 + int(p.Popularity*200000*(0.3+2*r.float()))
		switch {
		case rank > len(ps)/2 && r.chance(0.12):
			p.Stock = 800 + r.intn(3000)
		case rank < 40 && r.chance(0.05):
			p.Stock = 0
		}
	}
	for i := range ps {
		ps[i].frag, ps[i].listFrag = productFragments(&ps[i])
	}
	return ps
}

func newProduct(r *rng, ci int, it *itemDef, brand string, index int) Product {
	c := &categoryDefs[ci]
	name := brand + " " + it.noun
	if s := c.suffixes[r.intn(len(c.suffixes))]; s != "" && suffixFits(it.noun, s) {
		name += " " + s
	}
	num := strconv.Itoa(10001 + index)
	p := Product{
		ID:       "P" + num,
		SKU:      strings.ToUpper(c.code) + "-" + num + "-0" + strconv.Itoa(1+r.intn(6)),
		Name:     name,
		Category: c.name,
		Brand:    brand,
		Price:    shelfPrice(r, it.lo, it.hi),
		Season:   it.season,
		Quality:  1 - 0.7*math.Pow(r.float(), 2.5),
		cat:      ci,
		noun:     it.noun,
		maxQty:   it.maxQty,
	}
	if it.group && r.chance(0.85) {
		gp := Money(float64(p.Price)*(0.72+0.12*r.float())) / 100 * 100
		if gp >= 1000 {
			gp -= 10 // 拼团价 ends in .90
		}
		if gp < 100 {
			gp = p.Price - 100
		}
		if gp > 0 {
			p.GroupPrice = gp
			p.GroupSize = 2 + r.intn(2)
		}
	}
	return p
}

// suffixFits reports whether a variant suffix reads well after the item noun: no "礼盒装"
// after a gift box, no "男款" dress.
func suffixFits(noun, suffix string) bool {
	for _, w := range []string{"装", "礼", "套", "券", "片", "包", "袋"} {
		if strings.Contains(noun, w) {
			return false
		}
	}
	if strings.HasSuffix(suffix, "款") && !strings.HasSuffix(suffix, "同款") {
		for _, w := range []string{"裙", "围巾", "泳衣", "孕妇"} {
			if strings.Contains(noun, w) {
				return false
			}
		}
	}
	return true
}

// shelfPrice picks a price in [lo, hi] yuan the way shops write them: 59.90, 129.00, 88.80.
func shelfPrice(r *rng, lo, hi int) Money {
	y := int64(lo + r.intn(hi-lo+1))
	if y >= 20 {
		y = y/10*10 + 9
		if y > int64(hi) {
			y -= 10
		}
	}
	switch u := r.float(); {
	case u < 0.6:
		return Yuan(y, 90)
	case u < 0.9:
		return Yuan(y, 0)
	default:
		return Yuan(y, 80)
	}
}

func productFragments(p *Product) (frag, list []byte) {
	var b []byte
	b = appendString(append(b, `"product_id":`...), p.ID)
	b = appendStrField(b, "sku", p.SKU)
	b = appendStrField(b, "name", p.Name)
	b = appendStrField(b, "category", p.Category)
	frag = appendStrField(b, "brand", p.Brand)

	var l []byte
	l = appendString(append(l, `{"product_id":`...), p.ID)
	l = appendStrField(l, "name", p.Name)
	l = appendMoneyField(l, "price", p.Price)
	return frag, l
}
