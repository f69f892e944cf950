package cost

import "fmt"

// resourceLine prices every resource of one CloudFormation type: each takes qty units of one
// price a month. A new priced type is an entry in a table (this file's, or a table of its
// own in its own file, listed in resourceTables), not a new branch in the model.
type resourceLine struct {
	typ   string
	item  string
	price string // a key of prices.json
	// qty is the units one resource takes a month; nil is one.
	qty   func(m model, r resource) float64
	basis string
}

// resourceTables lists every table of per-resource lines.
func resourceTables() [][]resourceLine {
	return [][]resourceLine{scalingLines, endpointLines}
}

// scalingLines: Application Auto Scaling creates and manages the CloudWatch alarms of a
// target-tracking policy, two per policy: TargetTracking-<resource>-AlarmHigh-<id> (scale
// out) and ...-AlarmLow-<id> (scale in), billed as standard-resolution alarms on one metric
// each (Application Auto Scaling User Guide: "Target tracking scaling policies for Application
// Auto Scaling", and describe-scaling-policies' Alarms list; CloudWatch pricing: alarms).
var scalingLines = []resourceLine{{
	typ: "AWS::ApplicationAutoScaling::ScalingPolicy", item: "Target-tracking alarms", price: "cloudwatch.alarm",
	qty: func(_ model, r resource) float64 {
		if r.Props["PolicyType"] == "TargetTrackingScaling" {
			return 2
		}
		return 0 // step scaling: its alarms are in the template, priced as alarms
	},
	basis: "two alarms (high, low) per target-tracking policy, created by Application Auto Scaling",
}}

// endpointLines: an interface endpoint is billed per hour in each Availability Zone it has a
// network interface in (one per subnet) and per GB it processes; a gateway endpoint (S3,
// DynamoDB) is free (AWS PrivateLink pricing).
var endpointLines = []resourceLine{
	{typ: "AWS::EC2::VPCEndpoint", item: "VPC interface endpoint hours", price: "vpce.hour",
		qty: func(m model, r resource) float64 {
			if !interfaceEndpoint(r) {
				return 0
			}
			subnets, _ := r.Props["SubnetIds"].([]any)
			return float64(len(subnets)) * m.hours
		}, basis: "interface endpoints × their Availability Zones (subnets) × hours"},
	{typ: "AWS::EC2::VPCEndpoint", item: "VPC interface endpoint data processed", price: "vpce.gb",
		qty: func(m model, r resource) float64 {
			if !interfaceEndpoint(r) {
				return 0
			}
			return m.usage.InterfaceEndpointGB / float64(m.interfaceEndpoints())
		}, basis: "usage: interfaceEndpointGB, shared evenly by the interface endpoints"},
}

func interfaceEndpoint(r resource) bool { return r.Props["VpcEndpointType"] == "Interface" }

func (m model) interfaceEndpoints() int {
	n := 0
	for _, r := range m.stage.resources("AWS::EC2::VPCEndpoint") {
		if interfaceEndpoint(r) {
			n++
		}
	}
	return n
}

// resourceItems prices the per-resource tables: one item per table entry, its quantity the
// sum over the resources of its type, each resource's share kept for the breakdown.
func (m model) resourceItems() []item {
	var out []item
	for _, table := range resourceTables() {
		for _, l := range table {
			it := item{name: l.item, price: l.price, basis: l.basis, by: map[string][2]float64{}}
			for _, r := range m.stage.resources(l.typ) {
				q := 1.0
				if l.qty != nil {
					q = l.qty(m, r)
				}
				if q == 0 {
					continue
				}
				it.minQty += q
				it.maxQty += q
				it.by[r.ID] = [2]float64{q, q}
			}
			out = append(out, it)
		}
	}
	return out
}

// tableType reports whether a per-resource table prices typ: such a type is known.
func tableType(typ string) bool {
	for _, table := range resourceTables() {
		for _, l := range table {
			if l.typ == typ {
				return true
			}
		}
	}
	return false
}

// resourcePriceKeys are the prices the tables need: every region of prices.json must have them.
func resourcePriceKeys() []string {
	var keys []string
	for _, table := range resourceTables() {
		for _, l := range table {
			keys = append(keys, l.price)
		}
	}
	return keys
}

// internetOut prices data transfer out to the internet: what the load balancer sends its
// clients. The usage's bytesPerRequest counts both directions, so this is an upper bound.
// AWS's first 100 GB a month out to the internet are free per account, aggregated across
// every service and region (AWS Free Tier: data transfer): not deducted here, since every
// stage and workload in the account shares them.
func (m model) internetOut() item {
	lbs := map[string][2]float64{}
	for _, lb := range m.stage.resources("AWS::ElasticLoadBalancingV2::LoadBalancer") {
		if s, _ := lb.Props["Scheme"].(string); s != "internal" {
			lbs[lb.ID] = [2]float64{1, 1}
		}
	}
	if len(lbs) == 0 {
		return item{}
	}
	gb := m.usage.RequestsPerSecond * m.usage.BytesPerRequest * m.hours * 3600 / gib
	it := both("Data transfer out to the internet", "internet.out.gb", gb,
		fmt.Sprintf("usage: requestsPerSecond × bytesPerRequest × %g h (an upper bound: it counts requests too); the free 100 GB a month per account, shared across services and regions, is not deducted", m.hours))
	it.by = lbs
	return it
}
