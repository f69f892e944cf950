package cost

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable writes e as a table for people: each line's unit price, and its quantity and
// monthly cost at the minimum and maximum task count.
func WriteTable(w io.Writer, e Estimate) error {
	fmt.Fprintf(w, "%s (%s): %d–%d tasks, prices of %s, storage as month %d after the first deploy holds it\n", e.Stage, e.Region, e.MinTasks, e.MaxTasks, e.Recorded, e.Month)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "item\tunit price\tqty @%d\tUSD/month @%d\tqty @%d\tUSD/month @%d\t\n", e.MinTasks, e.MinTasks, e.MaxTasks, e.MaxTasks)
	for _, l := range e.Lines {
		fmt.Fprintf(tw, "%s\t%s / %s\t%s\t%.2f\t%s\t%.2f\t\n", l.Item, usd(l.UnitUSD), l.Unit, qty(l.MinQty), l.MinUSD, qty(l.MaxQty), l.MaxUSD)
	}
	fmt.Fprintf(tw, "total\t\t\t%.2f\t\t%.2f\t\n", e.MinUSD, e.MaxUSD)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "by resource:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "resource\ttype\tUSD/month @%d\tUSD/month @%d\t\n", e.MinTasks, e.MaxTasks)
	for _, r := range e.Resources {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.2f\t\n", r.ID, r.Type, r.MinUSD, r.MaxUSD)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(e.Unpriced) > 0 {
		fmt.Fprintf(w, "resource types not priced (add them to tools/cost): %v\n", e.Unpriced)
	}
	fmt.Fprintf(w, "left out on purpose:\n")
	for _, n := range e.NotPriced {
		fmt.Fprintf(w, "  - %s\n", n)
	}
	return nil
}

// CompareResources pairs the per-resource costs of two estimates like Compare pairs lines.
func CompareResources(before, after Estimate) []Change {
	asLines := func(rs []ResourceCost) []Line {
		out := make([]Line, len(rs))
		for i, r := range rs {
			label := r.ID
			if r.Type != "" {
				label += " (" + r.Type + ")"
			}
			out[i] = Line{Item: label, MinUSD: r.MinUSD, MaxUSD: r.MaxUSD}
		}
		return out
	}
	return Compare(Estimate{Lines: asLines(before.Resources)}, Estimate{Lines: asLines(after.Resources)})
}

// Change is one line's cost before and after a change.
type Change struct {
	Item      string  `json:"item"`
	BeforeMin float64 `json:"beforeMinUsd"`
	AfterMin  float64 `json:"afterMinUsd"`
	BeforeMax float64 `json:"beforeMaxUsd"`
	AfterMax  float64 `json:"afterMaxUsd"`
}

// DeltaMin and DeltaMax are the change at the minimum and maximum task count.
func (c Change) DeltaMin() float64 { return c.AfterMin - c.BeforeMin }
func (c Change) DeltaMax() float64 { return c.AfterMax - c.BeforeMax }

// Compare pairs the lines of two estimates of one stage by item, in after's order with the
// lines only before has at the end. A missing estimate (a stage added or removed) counts as 0.
func Compare(before, after Estimate) []Change {
	var out []Change
	seen := map[string]bool{}
	beforeLines := map[string]Line{}
	for _, l := range before.Lines {
		beforeLines[l.Item] = l
	}
	for _, l := range after.Lines {
		b := beforeLines[l.Item]
		out = append(out, Change{Item: l.Item, BeforeMin: b.MinUSD, AfterMin: l.MinUSD, BeforeMax: b.MaxUSD, AfterMax: l.MaxUSD})
		seen[l.Item] = true
	}
	for _, l := range before.Lines {
		if !seen[l.Item] {
			out = append(out, Change{Item: l.Item, BeforeMin: l.MinUSD, BeforeMax: l.MaxUSD})
		}
	}
	return out
}

func usd(v float64) string {
	if v < 0.01 {
		return fmt.Sprintf("$%.6f", v)
	}
	return fmt.Sprintf("$%.4f", v)
}

func qty(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}
