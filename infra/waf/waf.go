// Package waf provides a stage's web application firewall: an AWS WAF web ACL on the load
// balancer with AWS's managed rule groups (IP reputation, known bad inputs, the common rule
// set) and a rate limit per client IP, logging to CloudWatch Logs without secret headers.
package waf

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
)

// LogGroupPrefix starts the name of every log group WAF logs to: AWS WAF accepts no other
// (AWS WAF Developer Guide, "Sending web ACL traffic logs to an Amazon CloudWatch Logs log group").
const LogGroupPrefix = "aws-waf-logs-"

// Rate-based rule bounds and window (AWS WAF Developer Guide, "Rate-based rule statement").
const (
	MinRate, MaxRate  = 10, 2_000_000_000
	windowSeconds     = 300
	maxRedactedFields = 100
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

type Props struct {
	// LoadBalancerARN is the ALB the web ACL protects.
	LoadBalancerARN *string
	// Name names the web ACL, its metrics and (after LogGroupPrefix) its log group.
	Name string
	// RequestsPerIPPerFiveMinutes blocks a client IP above it within any 5 minutes.
	RequestsPerIPPerFiveMinutes int
	LogRetention                awslogs.RetentionDays
	LogRemoval                  awscdk.RemovalPolicy
	// LogKey encrypts the log group, if set.
	LogKey awskms.IKey
	// RedactedHeaders never reach the logs (WAF logs every request header otherwise).
	RedactedHeaders []string
}

func (p Props) validate() error {
	switch {
	case p.LoadBalancerARN == nil:
		return errors.New("waf: LoadBalancerARN is required")
	case !nameRE.MatchString(p.Name):
		return fmt.Errorf("waf: Name %q: use 1 to 100 letters, digits, _ and -", p.Name)
	case p.RequestsPerIPPerFiveMinutes < MinRate || p.RequestsPerIPPerFiveMinutes > MaxRate:
		return fmt.Errorf("waf: RequestsPerIPPerFiveMinutes = %d: AWS WAF accepts %d to %d", p.RequestsPerIPPerFiveMinutes, MinRate, MaxRate)
	case p.LogRetention == "":
		return errors.New("waf: LogRetention is required")
	case len(p.RedactedHeaders) > maxRedactedFields:
		return fmt.Errorf("waf: at most %d redacted fields", maxRedactedFields)
	}
	return nil
}

type WAF struct {
	constructs.Construct
	WebACL awswafv2.CfnWebACL
	Logs   awslogs.LogGroup
}

func New(scope constructs.Construct, id string, props Props) *WAF {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	acl := awswafv2.NewCfnWebACL(c, jsii.String("WebACL"), &awswafv2.CfnWebACLProps{
		Name:             jsii.String(props.Name),
		Description:      jsii.String("Managed rule groups and a rate limit per client IP in front of the service load balancer"),
		Scope:            jsii.String("REGIONAL"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]any{}},
		VisibilityConfig: visibility(props.Name),
		Rules:            rules(props),
	})
	awswafv2.NewCfnWebACLAssociation(c, jsii.String("Association"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: props.LoadBalancerARN,
		WebAclArn:   acl.AttrArn(),
	})
	// The destination's ARN references the log group, so CloudFormation creates it first.
	logs := logGroup(c, props)
	awswafv2.NewCfnLoggingConfiguration(c, jsii.String("Logging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn:           acl.AttrArn(),
		LogDestinationConfigs: &[]any{logGroupARN(logs)},
		RedactedFields:        redacted(props.RedactedHeaders),
	})
	return &WAF{Construct: c, WebACL: acl, Logs: logs}
}

// rules: IP reputation first (cheapest, and a known-bad source needs no further look), then
// the rate limit, then the request inspections.
func rules(props Props) []any {
	return []any{
		managed(0, props.Name, "AWSManagedRulesAmazonIpReputationList", nil),
		&awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String("RatePerClientIP"),
			Priority: jsii.Number(1),
			Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				AggregateKeyType:    jsii.String("IP"),
				Limit:               cdkconv.Int(props.RequestsPerIPPerFiveMinutes),
				EvaluationWindowSec: jsii.Number(windowSeconds),
			}},
			Action:           &awswafv2.CfnWebACL_RuleActionProperty{Block: map[string]any{}},
			VisibilityConfig: visibility(props.Name + "-RatePerClientIP"),
		},
		managed(2, props.Name, "AWSManagedRulesKnownBadInputsRuleSet", nil),
		// The common rule set blocks bodies over 8 KB (SizeRestrictions_BODY); the service
		// bounds its bodies itself (1 MiB) and answers 413, so that rule only counts.
		managed(3, props.Name, "AWSManagedRulesCommonRuleSet", []string{"SizeRestrictions_BODY"}),
	}
}

func managed(priority int, prefix, group string, countOnly []string) *awswafv2.CfnWebACL_RuleProperty {
	stmt := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{VendorName: jsii.String("AWS"), Name: jsii.String(group)}
	if len(countOnly) > 0 {
		overrides := make([]any, len(countOnly))
		for i, name := range countOnly {
			overrides[i] = &awswafv2.CfnWebACL_RuleActionOverrideProperty{Name: jsii.String(name), ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: map[string]any{}}}
		}
		stmt.RuleActionOverrides = &overrides
	}
	return &awswafv2.CfnWebACL_RuleProperty{
		Name:             jsii.String(group),
		Priority:         cdkconv.Int(priority),
		Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: stmt},
		OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
		VisibilityConfig: visibility(prefix + "-" + group),
	}
}

func visibility(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		MetricName:               jsii.String(metric),
		SampledRequestsEnabled:   jsii.Bool(true),
	}
}

func logGroup(scope constructs.Construct, props Props) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(LogGroupPrefix + props.Name),
		Retention:     props.LogRetention,
		RemovalPolicy: props.LogRemoval,
		EncryptionKey: props.LogKey,
	})
}

// logGroupARN is the group's ARN without the ":*" suffix of LogGroupArn, which WAF rejects.
func logGroupARN(g awslogs.LogGroup) *string {
	return awscdk.Stack_Of(g).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: g.LogGroupName(),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

func redacted(headers []string) *[]any {
	out := make([]any, len(headers))
	for i, h := range headers {
		out[i] = &awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{SingleHeader: map[string]any{"Name": strings.ToLower(h)}}
	}
	return &out
}
