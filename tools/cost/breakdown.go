package cost

import (
	"cmp"
	"slices"
)

// ResourceCost is what one resource of the templates costs a month: its share of every line
// that names it. Lines that name no resource are under unattributed.
type ResourceCost struct {
	ID     string  `json:"id"`
	Type   string  `json:"type,omitempty"`
	MinUSD float64 `json:"minMonthlyUsd"`
	MaxUSD float64 `json:"maxMonthlyUsd"`
}

// unattributed collects the cost of lines that no resource carries.
const unattributed = "(no one resource)"

// breakdown splits each priced line over the resources its item names, by their weights.
func breakdown(s Stage, items []item, lines []Line) []ResourceCost {
	types := map[string]string{}
	for _, st := range s.Stacks {
		rs, _ := st.Template["Resources"].(map[string]any)
		for id, r := range rs {
			types[id], _ = get(r, "Type").(string)
		}
	}
	costs := map[string]*ResourceCost{}
	add := func(id string, lo, hi float64) {
		c, ok := costs[id]
		if !ok {
			c = &ResourceCost{ID: id, Type: types[id]}
			costs[id] = c
		}
		c.MinUSD += lo
		c.MaxUSD += hi
	}
	for i, it := range items {
		l := lines[i]
		var wLo, wHi float64
		for _, w := range it.by {
			wLo, wHi = wLo+w[0], wHi+w[1]
		}
		if wLo+wHi == 0 {
			add(unattributed, l.MinUSD, l.MaxUSD)
			continue
		}
		for id, w := range it.by {
			add(id, share(l.MinUSD, w[0], wLo), share(l.MaxUSD, w[1], wHi))
		}
	}
	out := make([]ResourceCost, 0, len(costs))
	for _, c := range costs {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ResourceCost) int {
		return cmp.Or(cmp.Compare(b.MaxUSD, a.MaxUSD), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func share(usd, w, total float64) float64 {
	if total == 0 {
		return 0
	}
	return usd * w / total
}

// notPriced is what the model leaves out on purpose, each with why: an estimate lists them so
// that nobody reads the total as the whole bill.
var notPriced = []string{
	"requests: KMS and Secrets Manager API calls, S3 requests for access logs, CloudWatch API calls (cents at keel's volume)",
	"the first 100 GB a month of data out to the internet, free per account across services and regions, not deducted (shared by everything in the account)",
	"data transfer between Availability Zones (load balancer to a task in another zone: $0.01/GB each way) and data into AWS (free)",
	"image pulls: priced only as the NAT gateway's data processed (usage: natGB); ECR storage is in the bootstrap's account-wide repository",
	"CloudWatch Logs Insights queries, metric streams and GetMetricData calls",
	"Route 53: the hosted zone exists already; alias queries to the load balancer are free",
	"compression: logs and access logs are priced uncompressed, an upper bound",
}
