package ingress

import (
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SmokeHeader carries the smoke token. A request with it reaches the private paths through
// the load balancer; the deploy job's smoke check reads the token from Secrets Manager.
const SmokeHeader = "X-Keel-Smoke"

// Edge rule priorities. This package owns 1-49; production routing rules (progressive
// delivery) use 100 and above, so that the edge always decides first.
const (
	prioritySmoke   = 1
	priorityPrivate = 2
)

// privatePaths answers 404 on paths for the internet, except for requests that carry the
// smoke token. The token lives in Secrets Manager and reaches the rule through a
// CloudFormation dynamic reference ({{resolve:secretsmanager:...}}), so it is in neither the
// template nor the repository; CloudFormation documents that secretsmanager references
// resolve in every resource property, and that the value is visible in the resource's own
// service (elasticloadbalancing:DescribeRules), which is why the token opens nothing but
// these read-only paths.
func privatePaths(scope constructs.Construct, listener elb.ApplicationListener, tg elb.ApplicationTargetGroup, paths []string, name string) awssecretsmanager.Secret {
	token := awssecretsmanager.NewSecret(scope, jsii.String("SmokeToken"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(name),
		Description: jsii.String("Header value that lets the deploy job's smoke check read /healthz and /readyz through the load balancer"),
		// Letters and digits only: ALB header conditions treat * and ? as wildcards. 64
		// characters keep the value strong although the match ignores case.
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{ExcludePunctuation: jsii.Bool(true), PasswordLength: jsii.Number(64)},
	})
	pathCondition := elb.ListenerCondition_PathPatterns(jsii.Strings(paths...))
	elb.NewApplicationListenerRule(scope, jsii.String("SmokeRule"), &elb.ApplicationListenerRuleProps{
		Listener: listener,
		Priority: jsii.Number(prioritySmoke),
		Conditions: &[]elb.ListenerCondition{
			pathCondition,
			elb.ListenerCondition_HttpHeader(jsii.String(SmokeHeader), jsii.Strings(*token.SecretValue().UnsafeUnwrap())),
		},
		Action: elb.ListenerAction_Forward(&[]elb.IApplicationTargetGroup{tg}, nil),
	})
	elb.NewApplicationListenerRule(scope, jsii.String("PrivatePathsRule"), &elb.ApplicationListenerRuleProps{
		Listener:   listener,
		Priority:   jsii.Number(priorityPrivate),
		Conditions: &[]elb.ListenerCondition{pathCondition},
		Action: elb.ListenerAction_FixedResponse(jsii.Number(404), &elb.FixedResponseOptions{
			ContentType: jsii.String("text/plain"), MessageBody: jsii.String("404 page not found\n"),
		}),
	})
	return token
}
