package review

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
)

// Rule is one security-group rule: who may reach the group (ingress) or whom the group may
// reach (egress), on which protocol and ports.
type Rule struct {
	Group     string `json:"group"`
	Direction string `json:"direction"` // ingress or egress
	Protocol  string `json:"protocol"`  // tcp, udp, icmp, or -1 for all
	FromPort  int    `json:"fromPort"`
	ToPort    int    `json:"toPort"`
	Peer      string `json:"peer"` // a CIDR, a security group or a prefix list
}

func (r Rule) key() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// Internet reports whether anyone on the internet is the peer.
func (r Rule) Internet() bool { return r.Peer == "0.0.0.0/0" || r.Peer == "::/0" }

// Ports renders the rule's port range.
func (r Rule) Ports() string {
	switch {
	case r.Protocol == "-1" || r.Protocol == "all" || (r.FromPort < 0 && r.ToPort < 0):
		return "all"
	case r.FromPort == r.ToPort:
		return itoa(r.FromPort)
	case r.FromPort <= 0 && (r.ToPort == 65535 || r.ToPort < 0):
		return "all"
	}
	return itoa(r.FromPort) + "–" + itoa(r.ToPort)
}

// rules lists a template's security-group rules: inline in AWS::EC2::SecurityGroup and as
// separate SecurityGroupIngress/Egress resources.
func rules(t template) []Rule {
	var out []Rule
	for _, r := range t.resources() {
		switch r.Type {
		case "AWS::EC2::SecurityGroup":
			for dir, prop := range map[string]string{"ingress": "SecurityGroupIngress", "egress": "SecurityGroupEgress"} {
				list, _ := r.Props[prop].([]any)
				for _, e := range list {
					out = append(out, rule(r.ID, dir, e))
				}
			}
		case "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress":
			group := render(r.Props["GroupId"])
			if ref, ok := get(r.Props, "GroupId", "Fn::GetAtt").([]any); ok && len(ref) == 2 {
				group = render(ref[0])
			}
			dir := "ingress"
			if r.Type == "AWS::EC2::SecurityGroupEgress" {
				dir = "egress"
			}
			out = append(out, rule(group, dir, r.Props))
		}
	}
	return out
}

func rule(group, direction string, props any) Rule {
	r := Rule{Group: group, Direction: direction, Protocol: strings.ToLower(render(get(props, "IpProtocol"))), FromPort: -1, ToPort: -1}
	if n, err := strconv.Atoi(render(get(props, "FromPort"))); err == nil {
		r.FromPort = n
	}
	if n, err := strconv.Atoi(render(get(props, "ToPort"))); err == nil {
		r.ToPort = n
	}
	for _, k := range []string{"CidrIp", "CidrIpv6", "SourceSecurityGroupId", "DestinationSecurityGroupId", "SourcePrefixListId", "DestinationPrefixListId"} {
		if v := get(props, k); v != nil {
			r.Peer = render(v)
			if ref, ok := get(v, "Fn::GetAtt").([]any); ok && len(ref) == 2 {
				r.Peer = "group " + render(ref[0])
			}
		}
	}
	return r
}

// ruleCovered reports whether base already allowed everything r allows: a rule of the same
// group and direction whose protocol, port range and peer contain r's.
func ruleCovered(r Rule, base []Rule) bool {
	for _, b := range base {
		if b.Group != r.Group || b.Direction != r.Direction {
			continue
		}
		if b.Protocol != "-1" && b.Protocol != r.Protocol {
			continue
		}
		if b.Protocol != "-1" && !portsContain(b, r) {
			continue
		}
		if peerContains(b.Peer, r.Peer) {
			return true
		}
	}
	return false
}

func portsContain(b, r Rule) bool {
	if b.FromPort == -1 && b.ToPort == -1 {
		return true // ICMP all types, or no range given
	}
	return b.FromPort <= r.FromPort && r.ToPort <= b.ToPort && r.FromPort != -1
}

// peerContains: the same peer, or a CIDR inside the base's CIDR.
func peerContains(base, peer string) bool {
	if base == peer {
		return true
	}
	b, err1 := netip.ParsePrefix(base)
	p, err2 := netip.ParsePrefix(peer)
	return err1 == nil && err2 == nil && b.Addr().Is4() == p.Addr().Is4() && b.Bits() <= p.Bits() && b.Contains(p.Addr())
}

// Listener is a load balancer's listening port, and whether the internet reaches it.
type Listener struct {
	LoadBalancer string `json:"loadBalancer"`
	Port         string `json:"port"`
	Protocol     string `json:"protocol"`
	Scheme       string `json:"scheme"`
}

func (l Listener) key() string {
	b, _ := json.Marshal(l)
	return string(b)
}

// listeners lists a template's load balancer listeners with their load balancer's scheme
// (internet-facing unless it says internal: CloudFormation's default).
func listeners(t template) []Listener {
	schemes := map[string]string{}
	for _, r := range t.resources() {
		if r.Type == "AWS::ElasticLoadBalancingV2::LoadBalancer" {
			schemes[r.ID] = "internet-facing"
			if s, ok := r.Props["Scheme"].(string); ok {
				schemes[r.ID] = s
			}
		}
	}
	var out []Listener
	for _, r := range t.resources() {
		if r.Type != "AWS::ElasticLoadBalancingV2::Listener" {
			continue
		}
		lb := render(r.Props["LoadBalancerArn"])
		if ref, ok := get(r.Props, "LoadBalancerArn", "Ref").(string); ok {
			lb = ref
		}
		out = append(out, Listener{LoadBalancer: lb, Port: render(r.Props["Port"]), Protocol: render(r.Props["Protocol"]), Scheme: schemes[lb]})
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
