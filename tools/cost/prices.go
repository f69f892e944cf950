package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

//go:embed prices.json
var pricesJSON []byte

// Price is one unit price with where it was read.
type Price struct {
	USD    float64 `json:"usd"`
	Unit   string  `json:"unit"`
	Source string  `json:"source"`
}

// Prices is the price table: per region, the unit prices the model uses.
type Prices struct {
	HoursPerMonth float64                     `json:"hoursPerMonth"`
	Recorded      string                      `json:"recorded"`
	Refresh       string                      `json:"refresh"`
	Regions       map[string]map[string]Price `json:"regions"`
}

// priceKeys are the prices every region must have: what lines.go looks up.
var priceKeys = []string{
	"fargate.vcpu.x86_64", "fargate.gb.x86_64", "fargate.vcpu.arm64", "fargate.gb.arm64", "fargate.spot.discount",
	"alb.hour", "alb.lcu", "nat.hour", "nat.gb", "ipv4.hour",
	"cloudwatch.alarm", "cloudwatch.alarm.hr", "cloudwatch.metric", "cloudwatch.dashboard",
	"logs.ingest", "logs.vended", "logs.store", "kms.key", "secretsmanager.secret", "s3.standard", "internet.out.gb",
	"waf.webacl", "waf.rule", "waf.requests",
}

// DefaultPrices is the table kept in the repository (tools/cost/prices.json).
func DefaultPrices() (Prices, error) { return ParsePrices(pricesJSON) }

// ParsePrices reads a price table and checks that every region has every price.
func ParsePrices(b []byte) (Prices, error) {
	var p Prices
	if err := json.Unmarshal(b, &p); err != nil {
		return Prices{}, fmt.Errorf("cost: price table: %w", err)
	}
	if p.HoursPerMonth <= 0 {
		return Prices{}, fmt.Errorf("cost: price table: hoursPerMonth must be positive")
	}
	for region, table := range p.Regions {
		for _, k := range slices.Concat(priceKeys, resourcePriceKeys()) {
			if pr, ok := table[k]; !ok || pr.USD < 0 || pr.Source == "" {
				return Prices{}, fmt.Errorf("cost: price table: region %s lacks %s (a price with its source); see %s", region, k, p.Refresh)
			}
		}
	}
	return p, nil
}

// region returns the prices of one region, or an error naming the regions the table has.
func (p Prices) region(name string) (map[string]Price, error) {
	table, ok := p.Regions[name]
	if !ok {
		have := make([]string, 0, len(p.Regions))
		for r := range p.Regions {
			have = append(have, r)
		}
		slices.Sort(have)
		return nil, fmt.Errorf("cost: the price table has no region %s (it has %s): add its prices to tools/cost/prices.json as %s says", name, strings.Join(have, ", "), p.Refresh)
	}
	return table, nil
}
