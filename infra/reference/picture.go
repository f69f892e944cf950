package reference

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Tiers of the network a resource sits in, from the subnets it is placed in.
const (
	tierPublic   = "public subnets"
	tierPrivate  = "private subnets"
	tierIsolated = "isolated subnets"
	tierVPC      = "VPC, no subnet"
	tierRegion   = "region, outside the VPC"
)

// subnetTiers names CDK's aws-cdk:subnet-type tag values.
var subnetTiers = map[string]string{"Public": tierPublic, "Private": tierPrivate, "Isolated": tierIsolated}

// placements are resources that put what refers to them into their subnets.
var placements = []string{"AWS::RDS::DBSubnetGroup", "AWS::ElastiCache::SubnetGroup"}

// flows are references that carry requests, as (referring type, referred type): the request
// goes from the first to the second, or back when reversed (a service registers with the
// target group it names; the group sends it the requests).
var flows = []struct {
	from, to string
	reverse  bool
}{
	{"AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::LoadBalancer", true},
	{"AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::ElasticLoadBalancingV2::Listener", true},
	{"AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::TargetGroup", false},
	{"AWS::ElasticLoadBalancingV2::ListenerRule", "AWS::ElasticLoadBalancingV2::TargetGroup", false},
	{"AWS::ECS::Service", "AWS::ElasticLoadBalancingV2::TargetGroup", true},
	{"AWS::Route53::RecordSet", "AWS::ElasticLoadBalancingV2::LoadBalancer", false},
	{"AWS::WAFv2::WebACLAssociation", "AWS::ElasticLoadBalancingV2::LoadBalancer", false},
}

const (
	kindTraffic    = "traffic"
	kindPermission = "permission"
	kindImport     = "import"
	internet       = "internet"
)

type edge struct{ from, to, kind, label string }

// picture is a stage drawn at the level of resource types: one node per type, stack and tier.
type picture struct {
	stage  string
	nodes  map[string]map[string]map[string]int // stack -> tier -> type -> count
	nodeOf map[string]string                    // stack/logicalID -> node ID
	edges  map[edge]bool
}

// StagePicture draws the stage's stacks as Graphviz DOT: resources grouped by stack and
// network tier, the paths requests take (listener chain, security-group rules), what each role
// may act on, and what one stack imports from another.
func StagePicture(stage string, stacks []Stack) []byte {
	p := &picture{stage: stage, nodes: map[string]map[string]map[string]int{}, nodeOf: map[string]string{}, edges: map[edge]bool{}}
	for _, s := range stacks {
		p.place(s)
	}
	exports := exportedBy(stacks)
	for _, s := range stacks {
		p.connect(s, exports)
	}
	return p.dot()
}

// cdkMetadata is CDK's analytics resource: no AWS resource, so not drawn.
const cdkMetadata = "AWS::CDK::Metadata"

// Types lists the resource types the stacks hold, as the picture names them.
func Types(stacks []Stack) []string {
	var types []string
	for _, s := range stacks {
		for _, r := range s.Resources {
			if r.Type != cdkMetadata && !slices.Contains(types, r.Type) {
				types = append(types, r.Type)
			}
		}
	}
	slices.Sort(types)
	return types
}

func (p *picture) place(s Stack) {
	tiers := tiersOf(s)
	for id, r := range s.Resources {
		if r.Type == cdkMetadata {
			continue
		}
		tier := tiers[id]
		if p.nodes[s.Name] == nil {
			p.nodes[s.Name] = map[string]map[string]int{}
		}
		if p.nodes[s.Name][tier] == nil {
			p.nodes[s.Name][tier] = map[string]int{}
		}
		p.nodes[s.Name][tier][r.Type]++
		p.nodeOf[s.Name+"/"+id] = nodeID(s.Name, tier, r.Type)
	}
}

// tiersOf places each resource: a subnet by its tag, a resource in the tier of the subnets
// (or subnet group) it names, other EC2 networking in the VPC, everything else in the region.
func tiersOf(s Stack) map[string]string {
	subnet := map[string]string{}
	for id, r := range s.Resources {
		if r.Type == "AWS::EC2::Subnet" {
			subnet[id] = cmp.Or(subnetTiers[tag(r, "aws-cdk:subnet-type")], tierPrivate)
		}
	}
	tiers := map[string]string{}
	tierOfRefs := func(r Resource) string {
		ids, _ := refs(r.Properties)
		for _, id := range ids {
			if t, ok := subnet[id]; ok {
				return t
			}
		}
		return ""
	}
	for id, r := range s.Resources {
		if t, ok := subnet[id]; ok {
			tiers[id] = t
		} else if t := tierOfRefs(r); t != "" && r.Type != "AWS::EC2::SubnetRouteTableAssociation" {
			tiers[id] = t
		}
	}
	for id, r := range s.Resources {
		if tiers[id] != "" {
			continue
		}
		ids, _ := refs(r.Properties)
		for _, ref := range ids {
			if slices.Contains(placements, s.Resources[ref].Type) && tiers[ref] != "" {
				tiers[id] = tiers[ref]
			}
		}
		if tiers[id] == "" && strings.HasPrefix(r.Type, "AWS::EC2::") {
			tiers[id] = tierVPC
		}
		if tiers[id] == "" {
			tiers[id] = tierRegion
		}
	}
	return tiers
}

func tag(r Resource, key string) string {
	tags, _ := r.Properties["Tags"].([]any)
	for _, t := range tags {
		if m, ok := t.(map[string]any); ok && m["Key"] == key {
			s, _ := m["Value"].(string)
			return s
		}
	}
	return ""
}

// exportedBy maps each export name to the stack/logicalID its value refers to.
func exportedBy(stacks []Stack) map[string]string {
	out := map[string]string{}
	for _, s := range stacks {
		for _, o := range s.Outputs {
			if o.Export == nil {
				continue
			}
			name, _ := o.Export.Name.(string)
			if ids, _ := refs(o.Value); name != "" && len(ids) > 0 {
				out[name] = s.Name + "/" + ids[0]
			}
		}
	}
	return out
}

func (p *picture) connect(s Stack, exports map[string]string) {
	node := func(id string) string { return p.nodeOf[s.Name+"/"+id] }
	for id, r := range s.Resources {
		ids, imports := refs(r.Properties)
		for _, ref := range ids {
			to, ok := s.Resources[ref]
			if !ok {
				continue
			}
			for _, f := range flows {
				if f.from == r.Type && f.to == to.Type {
					if f.reverse {
						p.add(node(ref), node(id), kindTraffic, "")
					} else {
						p.add(node(id), node(ref), kindTraffic, "")
					}
				}
			}
			p.permission(s, id, r, ref, to)
		}
		for _, name := range imports {
			target, ok := exports[name]
			if !ok {
				continue
			}
			p.add(node(id), p.nodeOf[target], kindImport, "")
			if isPolicy(r.Type) {
				roles, _ := refs(r.Properties["Roles"])
				for _, role := range roles {
					p.add(node(role), p.nodeOf[target], kindPermission, "may")
				}
			}
		}
		if r.Type == "AWS::ElasticLoadBalancingV2::LoadBalancer" && r.Properties["Scheme"] == "internet-facing" {
			p.add(internet, node(id), kindTraffic, "")
		}
	}
	p.securityGroupRules(s)
}

// permission draws what a role may act on (the resources its policies name) and which
// resources run as a role.
func (p *picture) permission(s Stack, id string, r Resource, ref string, to Resource) {
	node := func(id string) string { return p.nodeOf[s.Name+"/"+id] }
	iam := func(t string) bool { return strings.HasPrefix(t, "AWS::IAM::") }
	switch {
	case isPolicy(r.Type) && !iam(to.Type):
		roles, _ := refs(r.Properties["Roles"])
		for _, role := range roles {
			p.add(node(role), node(ref), kindPermission, "may")
		}
	case !iam(r.Type) && to.Type == "AWS::IAM::Role":
		p.add(node(id), node(ref), kindPermission, "runs as")
	}
}

func isPolicy(t string) bool { return t == "AWS::IAM::Policy" || t == "AWS::IAM::ManagedPolicy" }

// securityGroupRules draws each ingress rule as traffic from what uses the source group (or
// the internet, for 0.0.0.0/0 and ::/0) to what uses the destination group.
func (p *picture) securityGroupRules(s Stack) {
	users := map[string][]string{} // security group -> logical IDs that name it
	for id, r := range s.Resources {
		if strings.HasPrefix(r.Type, "AWS::EC2::SecurityGroup") {
			continue
		}
		ids, _ := refs(r.Properties)
		for _, ref := range ids {
			if s.Resources[ref].Type == "AWS::EC2::SecurityGroup" && !slices.Contains(users[ref], id) {
				users[ref] = append(users[ref], id)
			}
		}
	}
	rule := func(group string, rule map[string]any) {
		port := fmt.Sprint(rule["FromPort"])
		var from []string
		if src, _ := refs(rule["SourceSecurityGroupId"]); len(src) > 0 {
			for _, u := range users[src[0]] {
				from = append(from, p.nodeOf[s.Name+"/"+u])
			}
		} else if rule["CidrIp"] == "0.0.0.0/0" || rule["CidrIpv6"] == "::/0" {
			from = append(from, internet)
		}
		for _, f := range from {
			for _, u := range users[group] {
				p.add(f, p.nodeOf[s.Name+"/"+u], kindTraffic, "tcp "+port)
			}
		}
	}
	for id, r := range s.Resources {
		switch r.Type {
		case "AWS::EC2::SecurityGroupIngress":
			if g, _ := refs(r.Properties["GroupId"]); len(g) > 0 {
				rule(g[0], r.Properties)
			}
		case "AWS::EC2::SecurityGroup":
			inline, _ := r.Properties["SecurityGroupIngress"].([]any)
			for _, in := range inline {
				if m, ok := in.(map[string]any); ok {
					rule(id, m)
				}
			}
		}
	}
}

// Undrawn lists the types that no node of the DOT picture shows.
func Undrawn(dot []byte, types []string) []string {
	var out []string
	for _, t := range types {
		label := strings.TrimPrefix(t, "AWS::")
		if !bytes.Contains(dot, []byte("[label=\""+label+"\"]")) && !bytes.Contains(dot, []byte("[label=\""+label+" ×")) {
			out = append(out, t)
		}
	}
	return out
}

func (p *picture) add(from, to, kind, label string) {
	if from != "" && to != "" && from != to {
		p.edges[edge{from, to, kind, label}] = true
	}
}

func nodeID(stack, tier, typ string) string {
	return strings.NewReplacer("::", "_", " ", "_", ",", "", "/", "_").Replace(stack + "__" + tier + "__" + typ)
}

func (p *picture) dot() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR; compound=true; newrank=true;\n", p.stage)
	b.WriteString("  graph [fontname=\"Helvetica\", fontsize=11, labeljust=l];\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	fmt.Fprintf(&b, "  label=%q; labelloc=b;\n", "keel "+p.stage+": resource types by stack and network tier. Solid: requests (listener chain, security-group rules); dashed: IAM (runs as, may act on); dotted: imported from another stack.")
	fmt.Fprintf(&b, "  %s [label=\"internet\", shape=ellipse, fillcolor=\"#eeeeee\"];\n", internet)
	for _, stack := range slices.Sorted(maps.Keys(p.nodes)) {
		fmt.Fprintf(&b, "  subgraph %q {\n    label=%q; style=rounded; color=\"#555555\";\n", "cluster_"+stack, "keel-"+p.stage+" "+stack)
		for _, tier := range slices.Sorted(maps.Keys(p.nodes[stack])) {
			fmt.Fprintf(&b, "    subgraph %q {\n      label=%q; style=\"rounded,dashed\"; color=\"#999999\";\n", "cluster_"+stack+"_"+tier, tier)
			for _, typ := range slices.Sorted(maps.Keys(p.nodes[stack][tier])) {
				label := strings.TrimPrefix(typ, "AWS::")
				if n := p.nodes[stack][tier][typ]; n > 1 {
					label += fmt.Sprintf(" ×%d", n)
				}
				fmt.Fprintf(&b, "      %s [label=%q];\n", nodeID(stack, tier, typ), label)
			}
			b.WriteString("    }\n")
		}
		b.WriteString("  }\n")
	}
	edges := slices.SortedFunc(maps.Keys(p.edges), func(a, c edge) int {
		return cmp.Or(strings.Compare(a.from, c.from), strings.Compare(a.to, c.to), strings.Compare(a.kind, c.kind), strings.Compare(a.label, c.label))
	})
	for _, e := range edges {
		style := map[string]string{kindTraffic: "color=\"#1f6feb\", penwidth=1.6", kindPermission: "style=dashed, color=\"#b35900\"", kindImport: "style=dotted, color=\"#555555\""}[e.kind]
		fmt.Fprintf(&b, "  %s -> %s [%s, label=%q];\n", e.from, e.to, style, e.label)
	}
	b.WriteString("}\n")
	return b.Bytes()
}
