package query

import (
	"fmt"
	"strconv"
)

// Formula is a parsed trends formula over series letters: A is series 0, B series 1, …
// It allows numbers, + - * /, unary minus and parentheses. Formulas are evaluated in Go by
// the analysis runner, per point.
type Formula struct {
	src  string
	root fnode
}

type fnode struct {
	op     byte // 0: number, 'L': series letter, '+', '-', '*', '/', 'n' (negate)
	num    float64
	series int
	l, r   *fnode
}

// ParseFormula parses s over the letters of series series (A…).
func ParseFormula(s string, series int) (*Formula, error) {
	fp := &formulaParser{s: s, series: series}
	n, err := fp.sum()
	if err != nil {
		return nil, err
	}
	fp.space()
	if fp.i < len(s) {
		return nil, fmt.Errorf("unexpected %q at position %d", s[fp.i], fp.i+1)
	}
	return &Formula{src: s, root: n}, nil
}

// String returns the formula as written.
func (f *Formula) String() string { return f.src }

// Eval evaluates the formula with vals[i] the value of series i. Division by zero gives 0,
// so results stay finite (and JSON-serialisable).
func (f *Formula) Eval(vals []float64) float64 { return f.root.eval(vals) }

func (n *fnode) eval(v []float64) float64 {
	switch n.op {
	case 0:
		return n.num
	case 'L':
		return v[n.series]
	case 'n':
		return -n.l.eval(v)
	case '+':
		return n.l.eval(v) + n.r.eval(v)
	case '-':
		return n.l.eval(v) - n.r.eval(v)
	case '*':
		return n.l.eval(v) * n.r.eval(v)
	case '/':
		d := n.r.eval(v)
		if d == 0 {
			return 0
		}
		return n.l.eval(v) / d
	}
	panic("BUG: unknown formula node")
}

type formulaParser struct {
	s      string
	i      int
	series int
	depth  int
}

func (p *formulaParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *formulaParser) sum() (fnode, error) {
	l, err := p.product()
	if err != nil {
		return l, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '+' && p.s[p.i] != '-') {
			return l, nil
		}
		op := p.s[p.i]
		p.i++
		r, err := p.product()
		if err != nil {
			return l, err
		}
		lc := l
		l = fnode{op: op, l: &lc, r: &r}
	}
}

func (p *formulaParser) product() (fnode, error) {
	l, err := p.unary()
	if err != nil {
		return l, err
	}
	for {
		p.space()
		if p.i >= len(p.s) || (p.s[p.i] != '*' && p.s[p.i] != '/') {
			return l, nil
		}
		op := p.s[p.i]
		p.i++
		r, err := p.unary()
		if err != nil {
			return l, err
		}
		lc := l
		l = fnode{op: op, l: &lc, r: &r}
	}
}

func (p *formulaParser) unary() (fnode, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
		x, err := p.unary()
		return fnode{op: 'n', l: &x}, err
	}
	return p.atom()
}

func (p *formulaParser) atom() (fnode, error) {
	p.space()
	if p.i >= len(p.s) {
		return fnode{}, fmt.Errorf("unexpected end of formula")
	}
	c := p.s[p.i]
	switch {
	case c == '(':
		p.depth++
		if p.depth > 32 {
			return fnode{}, fmt.Errorf("parentheses nested too deep")
		}
		p.i++
		x, err := p.sum()
		if err != nil {
			return x, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return x, fmt.Errorf("missing ) at position %d", p.i+1)
		}
		p.i++
		p.depth--
		return x, nil
	case c >= 'A' && c <= 'Z':
		idx := int(c - 'A')
		if idx >= p.series {
			return fnode{}, fmt.Errorf("series %c does not exist (there are %d series)", c, p.series)
		}
		p.i++
		return fnode{op: 'L', series: idx}, nil
	case c >= '0' && c <= '9' || c == '.':
		j := p.i
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.') {
			j++
		}
		f, err := strconv.ParseFloat(p.s[p.i:j], 64)
		if err != nil {
			return fnode{}, fmt.Errorf("bad number %q", p.s[p.i:j])
		}
		p.i = j
		return fnode{num: f}, nil
	}
	return fnode{}, fmt.Errorf("unexpected %q at position %d", c, p.i+1)
}
