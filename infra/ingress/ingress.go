// Package ingress provides the internet-facing Application Load Balancer of a service:
// HTTPS on 443 (a DNS-validated certificate for a domain, or an existing one) with HTTP
// redirected to it and HSTS, or plain HTTP; the edge rules that keep the health endpoints off
// the internet; and the target group whose health check decides which tasks receive traffic.
package ingress

import (
	"errors"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// HealthCheck is the target group's check of the service's health path.
type HealthCheck struct {
	Path               string
	Interval, Timeout  time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
}

type Props struct {
	Vpc awsec2.IVpc
	// Port is the container port the targets listen on.
	Port        int
	TLS         TLS
	HealthCheck HealthCheck
	// PrivatePaths answer 404 from the internet; only a request carrying the smoke header
	// reaches them through the load balancer. The target group's health check is not affected:
	// it connects to each task directly.
	PrivatePaths []string
	// SmokeTokenName names the smoke token's secret, so that the deploy role can be granted
	// exactly it before it exists.
	SmokeTokenName string
	// DeregistrationDelay is how long the ALB keeps sending in-flight traffic to a draining
	// target before ECS stops it.
	DeregistrationDelay time.Duration
	DeletionProtection  bool
	// AccessLogDays is how long the ALB's access logs are kept in their bucket.
	AccessLogDays int
}

func (p Props) validate() error {
	switch {
	case p.Vpc == nil:
		return errors.New("ingress: Vpc is required")
	case p.Port < 1 || p.Port > 65535:
		return errors.New("ingress: Port must be a TCP port")
	case p.HealthCheck.Path == "" || p.HealthCheck.Timeout >= p.HealthCheck.Interval:
		return errors.New("ingress: the health check needs a path and a timeout below its interval")
	case p.AccessLogDays < 1:
		return errors.New("ingress: AccessLogDays must be at least 1")
	case len(p.PrivatePaths) > 0 && p.SmokeTokenName == "":
		return errors.New("ingress: private paths need SmokeTokenName")
	case len(p.PrivatePaths) > 4:
		return errors.New("ingress: at most 4 private paths (an ALB rule takes 5 condition values, one is the smoke header)")
	}
	return p.TLS.validate()
}

type Ingress struct {
	constructs.Construct
	LoadBalancer  elb.ApplicationLoadBalancer
	SecurityGroup awsec2.SecurityGroup
	TargetGroup   elb.ApplicationTargetGroup
	// Listener serves production traffic: HTTPS when there is a certificate, else HTTP. Rules
	// added to it at priorities 1-49 are this package's edge rules.
	Listener   elb.ApplicationListener
	AccessLogs awss3.Bucket
	// SmokeToken is the value of SmokeHeader that lets the deploy job's smoke check reach the
	// private paths.
	SmokeToken awssecretsmanager.Secret
	// URL is where the service answers: https://<domain>, or the load balancer's DNS name.
	URL   *string
	props Props
}

// DesyncMitigation is DEFENSIVE: it blocks the requests the ALB classifies as ambiguous or
// severe (the ones request smuggling needs) and lets "acceptable" ones through, which
// STRICTEST would also refuse although real clients send them (RFC 7230 deviations that no
// proxy in the path interprets differently). The Go server behind it rejects ambiguous
// framing itself. Control Tower's CT.ELASTICLOADBALANCING.PR.3 accepts either.
const DesyncMitigation = elb.DesyncMitigationMode_DEFENSIVE

func New(scope constructs.Construct, id string, props Props) *Ingress {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	sg := awsec2.NewSecurityGroup(c, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("Internet-facing ALB: HTTP(S) in, the service port out"),
		AllowAllOutbound: jsii.Bool(false),
	})
	lb := elb.NewApplicationLoadBalancer(c, jsii.String("LoadBalancer"), &elb.ApplicationLoadBalancerProps{
		Vpc:                     props.Vpc,
		InternetFacing:          jsii.Bool(true),
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		SecurityGroup:           sg,
		DropInvalidHeaderFields: jsii.Bool(true),
		DesyncMitigationMode:    DesyncMitigation,
		DeletionProtection:      jsii.Bool(props.DeletionProtection),
	})
	logs := accessLogBucket(c, props.AccessLogDays)
	lb.LogAccessLogs(logs, nil)
	tg := newTargetGroup(c, "TargetGroup", props)
	in := &Ingress{Construct: c, LoadBalancer: lb, SecurityGroup: sg, TargetGroup: tg, AccessLogs: logs, props: props}
	if props.TLS.enabled() {
		in.Listener, in.URL = httpsListener(c, lb, tg, props.TLS)
	} else {
		in.Listener = lb.AddListener(jsii.String("Http"), &elb.BaseApplicationListenerProps{
			Port: jsii.Number(80), Open: jsii.Bool(true), DefaultTargetGroups: &[]elb.IApplicationTargetGroup{tg},
		})
		in.URL = awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("http://"), lb.LoadBalancerDnsName()})
	}
	if len(props.PrivatePaths) > 0 {
		in.SmokeToken = privatePaths(c, in.Listener, tg, props.PrivatePaths, props.SmokeTokenName)
	}
	return in
}
