package cost

import (
	"encoding/json"
	"fmt"
	"slices"
)

// ParseOlderPrices reads the price table of an older revision (a pull request's base), which
// may predate prices the model now needs: each missing price is taken from current, and
// named in the result, so the lines that need it are priced alike on both sides and the
// review can say so.
func ParseOlderPrices(b []byte, current Prices) (Prices, []string, error) {
	var p Prices
	if err := json.Unmarshal(b, &p); err != nil {
		return Prices{}, nil, fmt.Errorf("cost: price table: %w", err)
	}
	var borrowed []string
	for region, table := range p.Regions {
		for _, k := range slices.Concat(priceKeys, resourcePriceKeys()) {
			if _, ok := table[k]; ok {
				continue
			}
			pr, ok := current.Regions[region][k]
			if !ok {
				continue // ParsePrices names it
			}
			table[k] = pr
			if !slices.Contains(borrowed, k) {
				borrowed = append(borrowed, k)
			}
		}
	}
	slices.Sort(borrowed)
	filled, err := json.Marshal(p)
	if err != nil {
		return Prices{}, nil, err
	}
	p, err = ParsePrices(filled)
	return p, borrowed, err
}
