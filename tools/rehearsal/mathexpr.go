package rehearsal

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// expr is a CloudWatch metric-math expression over the alarm's other metric ids. The
// rehearsal evaluates the subset deployment alarms use: numbers, ids, + - * /, comparisons,
// MAX([...]), MIN([...]), SUM([...]), IF(cond, a, b) and FILL(id, value). A datapoint that
// is missing is NaN; FILL replaces it, arithmetic keeps it missing.
type expr func(vals map[string]float64) float64

// parseExpr parses s; an unsupported function or token is an error naming it.
func parseExpr(s string) (expr, error) {
	p := &exprParser{src: s}
	e, err := p.comparison()
	if err == nil && p.peek() != "" {
		err = fmt.Errorf("unexpected %q", p.peek())
	}
	if err != nil {
		return nil, fmt.Errorf("metric math %q: %w", s, err)
	}
	return e, nil
}

type exprParser struct {
	src string
	pos int
}

// peek returns the next token without consuming it.
func (p *exprParser) peek() string {
	save := p.pos
	t := p.next()
	p.pos = save
	return t
}

func (p *exprParser) next() string {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
	if p.pos >= len(p.src) {
		return ""
	}
	start := p.pos
	c := rune(p.src[p.pos])
	switch {
	case unicode.IsLetter(c) || c == '_':
		for p.pos < len(p.src) && (unicode.IsLetter(rune(p.src[p.pos])) || unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '_') {
			p.pos++
		}
	case unicode.IsDigit(c) || c == '.':
		for p.pos < len(p.src) && (unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '.') {
			p.pos++
		}
	case strings.ContainsRune("<>=!", c) && p.pos+1 < len(p.src) && p.src[p.pos+1] == '=':
		p.pos += 2
	default:
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *exprParser) expect(tok string) error {
	if got := p.next(); got != tok {
		return fmt.Errorf("want %q, got %q", tok, got)
	}
	return nil
}

func (p *exprParser) comparison() (expr, error) {
	l, err := p.sum()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	cmp := map[string]func(a, b float64) bool{
		">=": func(a, b float64) bool { return a >= b }, ">": func(a, b float64) bool { return a > b },
		"<=": func(a, b float64) bool { return a <= b }, "<": func(a, b float64) bool { return a < b },
		"==": func(a, b float64) bool { return a == b }, "!=": func(a, b float64) bool { return a != b },
	}[op]
	if cmp == nil {
		return l, nil
	}
	p.next()
	r, err := p.sum()
	if err != nil {
		return nil, err
	}
	return func(v map[string]float64) float64 {
		a, b := l(v), r(v)
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.NaN()
		}
		if cmp(a, b) {
			return 1
		}
		return 0
	}, nil
}

func (p *exprParser) sum() (expr, error) {
	return p.binary(p.product, "+", "-")
}

func (p *exprParser) product() (expr, error) {
	return p.binary(p.unary, "*", "/")
}

func (p *exprParser) binary(operand func() (expr, error), ops ...string) (expr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if op != ops[0] && op != ops[1] {
			return l, nil
		}
		p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		a, b := l, r
		switch op {
		case "+":
			l = func(v map[string]float64) float64 { return a(v) + b(v) }
		case "-":
			l = func(v map[string]float64) float64 { return a(v) - b(v) }
		case "*":
			l = func(v map[string]float64) float64 { return a(v) * b(v) }
		case "/":
			l = func(v map[string]float64) float64 { return a(v) / b(v) }
		}
	}
}

func (p *exprParser) unary() (expr, error) {
	tok := p.next()
	switch {
	case tok == "(":
		e, err := p.comparison()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	case tok == "-":
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(v map[string]float64) float64 { return -e(v) }, nil
	case tok != "" && (unicode.IsDigit(rune(tok[0])) || tok[0] == '.'):
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, err
		}
		return func(map[string]float64) float64 { return f }, nil
	case tok != "" && (unicode.IsLetter(rune(tok[0])) || tok[0] == '_'):
		if p.peek() == "(" {
			return p.call(tok)
		}
		return func(v map[string]float64) float64 {
			if x, ok := v[tok]; ok {
				return x
			}
			return math.NaN()
		}, nil
	}
	return nil, fmt.Errorf("unexpected %q", tok)
}

func (p *exprParser) args() ([]expr, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []expr
	for {
		e, err := p.comparison()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		switch p.next() {
		case ",":
		case ")":
			return out, nil
		default:
			return nil, fmt.Errorf("want , or )")
		}
	}
}

func (p *exprParser) call(name string) (expr, error) {
	switch strings.ToUpper(name) {
	case "MAX", "MIN", "SUM":
		if err := p.expect("("); err != nil {
			return nil, err
		}
		if err := p.expect("["); err != nil {
			return nil, err
		}
		var items []expr
		for {
			e, err := p.comparison()
			if err != nil {
				return nil, err
			}
			items = append(items, e)
			if t := p.next(); t == "]" {
				break
			} else if t != "," {
				return nil, fmt.Errorf("want , or ]")
			}
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		fn := strings.ToUpper(name)
		return func(v map[string]float64) float64 {
			acc, n := 0.0, 0
			for _, it := range items {
				x := it(v)
				if math.IsNaN(x) {
					continue
				}
				switch {
				case n == 0:
					acc = x
				case fn == "MAX":
					acc = max(acc, x)
				case fn == "MIN":
					acc = min(acc, x)
				default:
					acc += x
				}
				n++
			}
			if n == 0 {
				return math.NaN()
			}
			return acc
		}, nil
	case "IF":
		a, err := p.args()
		if err != nil || len(a) != 3 {
			return nil, fmt.Errorf("IF takes 3 arguments")
		}
		return func(v map[string]float64) float64 {
			c := a[0](v)
			if math.IsNaN(c) {
				return math.NaN()
			}
			if c != 0 {
				return a[1](v)
			}
			return a[2](v)
		}, nil
	case "FILL":
		a, err := p.args()
		if err != nil || len(a) != 2 {
			return nil, fmt.Errorf("FILL takes 2 arguments")
		}
		return func(v map[string]float64) float64 {
			if x := a[0](v); !math.IsNaN(x) {
				return x
			}
			return a[1](v)
		}, nil
	}
	return nil, fmt.Errorf("function %s is not one the rehearsal evaluates", name)
}
