package cost

import (
	"fmt"
	"os"
)

// ReadPrices reads a price table file with parse (ParsePrices, or ParseOlderPrices for an
// older revision's); "" is the table built into this binary (tools/cost/prices.json).
func ReadPrices(file string, parse func([]byte) (Prices, error)) (Prices, error) {
	if file == "" {
		return DefaultPrices()
	}
	b, err := os.ReadFile(file)
	if err == nil {
		var p Prices
		if p, err = parse(b); err == nil {
			return p, nil
		}
	}
	return Prices{}, fmt.Errorf("cost: prices %s: %w", file, err)
}

// ReadAssumptions reads a usage file; "" is the one built into this binary
// (tools/cost/usage.json).
func ReadAssumptions(file string) (Assumptions, error) {
	if file == "" {
		return DefaultAssumptions()
	}
	b, err := os.ReadFile(file)
	if err == nil {
		var a Assumptions
		if a, err = ParseAssumptions(b); err == nil {
			return a, nil
		}
	}
	return Assumptions{}, fmt.Errorf("cost: usage %s: %w", file, err)
}
