package review

import (
	"fmt"

	"github.com/keelstack/keel/tools/cost"
)

// LoadPricing reads one revision's price table and usage file; an empty path means the one
// built into this binary (tools/cost/prices.json, usage.json).
func LoadPricing(pricesFile, usageFile string) (Pricing, error) {
	return loadPricing(pricesFile, usageFile, cost.ParsePrices)
}

// LoadOlderPricing reads the base revision's files: prices its table lacks (it predates
// them) are taken from current's and named in Borrowed.
func LoadOlderPricing(pricesFile, usageFile string, current Pricing) (Pricing, error) {
	var borrowed []string
	p, err := loadPricing(pricesFile, usageFile, func(b []byte) (cost.Prices, error) {
		p, keys, err := cost.ParseOlderPrices(b, current.Prices)
		borrowed = keys
		return p, err
	})
	p.Borrowed = borrowed
	return p, err
}

func loadPricing(pricesFile, usageFile string, parse func([]byte) (cost.Prices, error)) (Pricing, error) {
	p, err := cost.ReadPrices(pricesFile, parse)
	if err != nil {
		return Pricing{}, fmt.Errorf("review: %w", err)
	}
	a, err := cost.ReadAssumptions(usageFile)
	if err != nil {
		return Pricing{}, fmt.Errorf("review: %w", err)
	}
	return Pricing{Prices: p, Assumptions: a}, nil
}
