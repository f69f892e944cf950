package stage

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// cdk-nag's IAM5 finding for a statement on every resource is "Resource::*" whatever its
// actions, and EC23's for an open ingress rule names no port: a suppression written once
// would let a new secretsmanager:GetSecretValue on * or a new open port 22 through unseen.
// These aspects look at what the policy or group holds at synth, and suppress only while it
// holds nothing beyond what the reason covers; anything more is a finding. They run at
// MUTATING priority, before the nag pack (DEFAULT priority) reads the suppressions.

// wildcardActions suppresses IAM5's Resource::* on the policies under a construct while every
// statement on Resource * grants only the named actions (those IAM gives no resource-level
// permissions), and the also pattern, if given, in any case.
type wildcardActions struct {
	actions []string
	also    *cdknag.RegexAppliesTo
	reason  string
}

func (w *wildcardActions) Visit(node constructs.IConstruct) {
	policy, ok := node.(awsiam.CfnPolicy)
	if !ok {
		return
	}
	doc := awscdk.Stack_Of(node).Resolve(policy.PolicyDocument())
	var appliesTo []any
	if w.onlyNamedOnStar(doc) {
		appliesTo = append(appliesTo, jsii.String("Resource::*"))
	}
	if w.also != nil {
		appliesTo = append(appliesTo, w.also)
	}
	if len(appliesTo) == 0 {
		return
	}
	cdknag.NagSuppressions_AddResourceSuppressions(node, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(w.reason), AppliesTo: &appliesTo,
	}}, jsii.Bool(false))
}

// onlyNamedOnStar reports whether every statement on Resource * lists only w's actions.
func (w *wildcardActions) onlyNamedOnStar(doc any) bool {
	statements, _ := nagField(doc, "Statement").([]any)
	for _, s := range statements {
		if !slices.Contains(nagList(nagField(s, "Resource")), "*") {
			continue
		}
		for _, a := range nagList(nagField(s, "Action")) {
			if !slices.Contains(w.actions, a) {
				return false
			}
		}
	}
	return true
}

// openPorts suppresses EC23 on a security group while every rule open to the internet is TCP
// on one of the named ports.
type openPorts struct {
	ports  []float64
	reason string
}

func (o *openPorts) Visit(node constructs.IConstruct) {
	group, ok := node.(awsec2.CfnSecurityGroup)
	if !ok {
		return
	}
	rules, _ := awscdk.Stack_Of(node).Resolve(group.SecurityGroupIngress()).([]any)
	for _, r := range rules {
		open := nagField(r, "cidrIp") == "0.0.0.0/0" || nagField(r, "cidrIpv6") == "::/0"
		from, to := nagField(r, "fromPort"), nagField(r, "toPort")
		if open && (nagField(r, "ipProtocol") != "tcp" || from != to || !slices.Contains(o.ports, nagNumber(from))) {
			return
		}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(node, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-EC23"), Reason: jsii.String(o.reason),
	}}, jsii.Bool(false))
}

// scopeNag adds an aspect to c that runs before the nag pack.
func scopeNag(c constructs.IConstruct, a awscdk.IAspect) {
	awscdk.Aspects_Of(c).Add(a, &awscdk.AspectOptions{Priority: awscdk.AspectPriority_MUTATING()})
}

// nagField reads one key of a resolved template object.
func nagField(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

// nagList reads a policy value that may be one string or a list of them.
func nagList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// nagNumber reads a resolved port number.
func nagNumber(v any) float64 {
	f, _ := v.(float64)
	return f
}
