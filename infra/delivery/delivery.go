// Package delivery provides what ECS needs to move production traffic between two versions
// of a service (its canary, linear and blue/green strategies): the alternate target group,
// the production listener rule ECS re-weights, a test listener open only to given CIDR
// blocks, and the role ECS moves traffic with, limited to these listeners, rules and target
// groups.
package delivery

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
)

// ProductionRulePriority leaves priorities 1-99 to rules that must win over the service
// (the ingress answers health paths itself at 1-49).
const ProductionRulePriority = 100

// TargetGroups is the load balancer side a strategy works on.
type TargetGroups interface {
	// TwinTargetGroup makes a target group that checks and drains like the production one.
	TwinTargetGroup(scope constructs.Construct, id string) elb.ApplicationTargetGroup
}

// TestListener serves the new version before it takes production traffic.
type TestListener struct {
	Port int
	// CIDRs may connect; nothing else can (the load balancer is internet-facing).
	CIDRs []string
	// CertificateARN makes it HTTPS; empty serves HTTP.
	CertificateARN string
}

type Props struct {
	LoadBalancer  elb.ApplicationLoadBalancer
	SecurityGroup awsec2.ISecurityGroup // the load balancer's
	// Listener serves production traffic; TargetGroup is its target group today.
	Listener    elb.ApplicationListener
	TargetGroup elb.ApplicationTargetGroup
	Twin        TargetGroups
	// TestListener, when set, is added for blue/green's test traffic stage.
	TestListener *TestListener
}

// Validate names what a progressive strategy lacks: every one of them moves traffic at a
// load balancer's listener rule.
func (p Props) Validate() error {
	if p.LoadBalancer == nil || p.Listener == nil || p.TargetGroup == nil || p.Twin == nil || p.SecurityGroup == nil {
		return errors.New("delivery: canary, linear and blueGreen move traffic between two target groups at a load balancer's listener rule: LoadBalancer, SecurityGroup, Listener, TargetGroup and Twin are required (use the rolling strategy for a service without a load balancer)")
	}
	if t := p.TestListener; t != nil {
		if t.Port < 1 || t.Port > 65535 || t.Port == 80 || t.Port == 443 {
			return fmt.Errorf("delivery: test listener port %d: use a free port other than the production listeners' 80 and 443", t.Port)
		}
		if len(t.CIDRs) == 0 {
			return errors.New("delivery: the test listener needs at least one CIDR block that may reach it")
		}
		for _, c := range t.CIDRs {
			if prefix, err := netip.ParsePrefix(c); err != nil || !prefix.Addr().Is4() || prefix.Bits() < 8 {
				return fmt.Errorf("delivery: test listener CIDR %q: use an IPv4 block of /8 or narrower; the test listener is never open to the internet", c)
			}
		}
	}
	return nil
}

type Delivery struct {
	constructs.Construct
	AlternateTargetGroup elb.ApplicationTargetGroup
	// ProductionRule is the rule ECS re-weights between the two target groups.
	ProductionRule elb.ApplicationListenerRule
	// TestListener and TestRule exist for blue/green only.
	TestListener elb.ApplicationListener
	TestRule     elb.ApplicationListenerRule
	// Role is the one ECS assumes to register targets and move traffic.
	Role awsiam.Role
	// AlternateTarget is what the service's load balancer target carries.
	AlternateTarget awsecs.IAlternateTarget
}

func New(scope constructs.Construct, id string, props Props) *Delivery {
	if err := props.Validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	d := &Delivery{Construct: c}
	d.AlternateTargetGroup = props.Twin.TwinTargetGroup(c, "AlternateTargetGroup")
	d.ProductionRule = forwardRule(c, "ProductionRule", props.Listener, props.TargetGroup, d.AlternateTargetGroup)
	if props.TestListener != nil {
		d.TestListener = testListener(c, props)
		d.TestRule = forwardRule(c, "TestRule", d.TestListener, props.TargetGroup, d.AlternateTargetGroup)
	}
	d.Role = trafficRole(c, props, d)
	alt := &awsecs.AlternateTargetProps{
		AlternateTargetGroup: d.AlternateTargetGroup,
		ProductionListener:   awsecs.ListenerRuleConfiguration_ApplicationListenerRule(d.ProductionRule),
		Role:                 d.Role,
	}
	if d.TestRule != nil {
		alt.TestListener = awsecs.ListenerRuleConfiguration_ApplicationListenerRule(d.TestRule)
	}
	d.AlternateTarget = awsecs.NewAlternateTarget(jsii.String("Alternate"), alt)
	return d
}

// forwardRule sends every path to the production target group, through a weighted forward
// that names both: ECS rewrites the weights to shift traffic, and refuses a rule that mixes
// forward with redirect or fixed-response actions (ALB resources for blue/green). Its
// properties reference nothing that changes between deploys, so CloudFormation rewrites it
// only when this code changes (aws/aws-cdk#36649: such a rewrite resets ECS's weights; the
// runbook's "Progressive delivery" section says how to deploy one).
func forwardRule(scope constructs.Construct, id string, listener elb.ApplicationListener, live, alternate elb.ApplicationTargetGroup) elb.ApplicationListenerRule {
	return elb.NewApplicationListenerRule(scope, jsii.String(id), &elb.ApplicationListenerRuleProps{
		Listener:   listener,
		Priority:   jsii.Number(ProductionRulePriority),
		Conditions: &[]elb.ListenerCondition{elb.ListenerCondition_PathPatterns(jsii.Strings("/*"))},
		Action: elb.ListenerAction_WeightedForward(&[]*elb.WeightedTargetGroup{
			{TargetGroup: live, Weight: jsii.Number(1)},
			{TargetGroup: alternate, Weight: jsii.Number(0)},
		}, nil),
	})
}

// testListener answers 404 to anything its rule does not forward, and accepts connections
// from the given CIDR blocks alone.
func testListener(scope constructs.Construct, props Props) elb.ApplicationListener {
	t := props.TestListener
	lp := &elb.BaseApplicationListenerProps{
		Port:          cdkconv.Int(t.Port),
		Protocol:      elb.ApplicationProtocol_HTTP,
		Open:          jsii.Bool(false),
		DefaultAction: elb.ListenerAction_FixedResponse(jsii.Number(404), &elb.FixedResponseOptions{ContentType: jsii.String("text/plain"), MessageBody: jsii.String("not found")}),
	}
	if t.CertificateARN != "" {
		cert := awscertificatemanager.Certificate_FromCertificateArn(scope, jsii.String("TestCertificate"), jsii.String(t.CertificateARN))
		lp.Protocol = elb.ApplicationProtocol_HTTPS
		lp.Certificates = &[]elb.IListenerCertificate{elb.ListenerCertificate_FromCertificateManager(cert)}
		lp.SslPolicy = elb.SslPolicy_RECOMMENDED_TLS
	}
	listener := props.LoadBalancer.AddListener(jsii.String("Test"), lp)
	for _, cidr := range t.CIDRs {
		props.SecurityGroup.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(cidr)), awsec2.Port_Tcp(cdkconv.Int(t.Port)),
			jsii.String("Test listener: "+cidr), jsii.Bool(false))
	}
	return listener
}
