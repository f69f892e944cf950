package review

import (
	"fmt"
	"os"

	"github.com/keelstack/keel/tools/cost"
)

// LoadPricing reads one revision's price table and usage file; an empty path means the one
// built into this binary (tools/cost/prices.json, usage.json).
func LoadPricing(pricesFile, usageFile string) (Pricing, error) {
	p, err := cost.DefaultPrices()
	if pricesFile != "" {
		var b []byte
		if b, err = os.ReadFile(pricesFile); err == nil {
			p, err = cost.ParsePrices(b)
		}
	}
	if err != nil {
		return Pricing{}, fmt.Errorf("review: prices %s: %w", pricesFile, err)
	}
	a, err := cost.DefaultAssumptions()
	if usageFile != "" {
		var b []byte
		if b, err = os.ReadFile(usageFile); err == nil {
			a, err = cost.ParseAssumptions(b)
		}
	}
	if err != nil {
		return Pricing{}, fmt.Errorf("review: usage %s: %w", usageFile, err)
	}
	return Pricing{Prices: p, Assumptions: a}, nil
}
