// Package cost estimates what a stage costs a month from its synthesized CloudFormation
// templates, a price table kept in the repository (prices.json, each price with its source)
// and usage assumptions kept in one place (usage.json). It reads templates, not Go code, so
// it prices exactly what CloudFormation would create, and it needs no AWS credentials.
package cost

import (
	"fmt"
	"slices"
)

// Line is one billable item of a stage at its minimum and maximum task count.
type Line struct {
	Item    string  `json:"item"`
	Unit    string  `json:"unit"`
	UnitUSD float64 `json:"unitUsd"`
	MinQty  float64 `json:"minQuantity"`
	MaxQty  float64 `json:"maxQuantity"`
	MinUSD  float64 `json:"minMonthlyUsd"`
	MaxUSD  float64 `json:"maxMonthlyUsd"`
	// Basis says where the quantity comes from: the template, or a usage assumption.
	Basis string `json:"basis"`
}

// Estimate is one stage's monthly cost.
type Estimate struct {
	Stage    string  `json:"stage"`
	Region   string  `json:"region"`
	MinTasks int     `json:"minTasks"`
	MaxTasks int     `json:"maxTasks"`
	Lines    []Line  `json:"lines"`
	MinUSD   float64 `json:"minMonthlyUsd"`
	MaxUSD   float64 `json:"maxMonthlyUsd"`
	// Unpriced lists resource types the model does not know: a new billable resource must be
	// priced (or declared free in lines.go) before an estimate can be trusted.
	Unpriced []string `json:"unpriced,omitempty"`
	Recorded string   `json:"pricesRecorded"`
	// Month is the month after the first deploy whose stored volume the storage lines price.
	Month int `json:"month"`
	// Resources is the per-resource breakdown of the lines, the costliest first.
	Resources []ResourceCost `json:"resources"`
	// NotPriced is what the model leaves out on purpose.
	NotPriced []string `json:"notPriced"`
}

// Of estimates stage s with usage u and the price table p.
func Of(s Stage, u Usage, p Prices) (Estimate, error) {
	table, err := p.region(s.Region)
	if err != nil {
		return Estimate{}, err
	}
	m := model{stage: s, usage: u, prices: table, hours: p.HoursPerMonth}
	tasks, err := m.taskCounts()
	if err != nil {
		return Estimate{}, fmt.Errorf("cost: stage %s: %w", s.Name, err)
	}
	e := Estimate{Stage: s.Name, Region: s.Region, MinTasks: tasks.min, MaxTasks: tasks.max, Recorded: p.Recorded, Month: m.month(), NotPriced: notPriced}
	var missing []string
	var priced []item
	for _, item := range m.items(tasks) {
		if item.minQty == 0 && item.maxQty == 0 {
			continue
		}
		pr, ok := table[item.price]
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (no %s price in prices.json for %s)", item.name, item.price, s.Region))
		}
		priced = append(priced, item)
		unit := pr.USD * item.factor
		l := Line{Item: item.name, Unit: pr.Unit, UnitUSD: unit, MinQty: item.minQty, MaxQty: item.maxQty,
			MinUSD: unit * item.minQty, MaxUSD: unit * item.maxQty, Basis: item.basis}
		e.Lines = append(e.Lines, l)
		e.MinUSD += l.MinUSD
		e.MaxUSD += l.MaxUSD
	}
	e.Unpriced = append(unpriced(s), missing...)
	e.Resources = breakdown(s, priced, e.Lines)
	return e, nil
}

// unpriced lists the resource types of s that the model neither prices nor knows to be free.
func unpriced(s Stage) []string {
	var out []string
	for _, st := range s.Stacks {
		rs, _ := st.Template["Resources"].(map[string]any)
		for _, r := range rs {
			typ, _ := r.(map[string]any)["Type"].(string)
			if _, known := knownTypes[typ]; !known && rdsTypes[typ] == "" && !tableType(typ) && !slices.Contains(out, typ) {
				out = append(out, typ)
			}
		}
	}
	slices.Sort(out)
	return out
}
