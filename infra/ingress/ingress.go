// Package ingress provides the internet-facing Application Load Balancer of a service: HTTP,
// or HTTPS with an HTTP redirect when a certificate is given, and the target group whose
// health check decides which tasks receive traffic.
package ingress

import (
	"errors"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
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
	Port           int
	CertificateARN string
	HealthCheck    HealthCheck
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
	}
	return nil
}

type Ingress struct {
	constructs.Construct
	LoadBalancer  elb.ApplicationLoadBalancer
	SecurityGroup awsec2.SecurityGroup
	TargetGroup   elb.ApplicationTargetGroup
	// Listener serves production traffic (HTTPS when a certificate is given, else HTTP).
	Listener   elb.ApplicationListener
	AccessLogs awss3.Bucket
	// URL is where the service answers (the load balancer's DNS name).
	URL   *string
	props Props
}

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
		DeletionProtection:      jsii.Bool(props.DeletionProtection),
	})
	logs := accessLogBucket(c, props.AccessLogDays)
	lb.LogAccessLogs(logs, nil)
	tg := newTargetGroup(c, "TargetGroup", props)
	scheme := "http://"
	var listener elb.ApplicationListener
	if props.CertificateARN == "" {
		listener = lb.AddListener(jsii.String("Http"), &elb.BaseApplicationListenerProps{
			Port: jsii.Number(80), Open: jsii.Bool(true), DefaultTargetGroups: &[]elb.IApplicationTargetGroup{tg},
		})
	} else {
		scheme = "https://"
		cert := awscertificatemanager.Certificate_FromCertificateArn(c, jsii.String("Certificate"), jsii.String(props.CertificateARN))
		listener = lb.AddListener(jsii.String("Https"), &elb.BaseApplicationListenerProps{
			Port: jsii.Number(443), Open: jsii.Bool(true), Certificates: &[]elb.IListenerCertificate{elb.ListenerCertificate_FromCertificateManager(cert)},
			SslPolicy: elb.SslPolicy_RECOMMENDED_TLS, DefaultTargetGroups: &[]elb.IApplicationTargetGroup{tg},
		})
		lb.AddRedirect(&elb.ApplicationLoadBalancerRedirectConfig{SourcePort: jsii.Number(80), TargetPort: jsii.Number(443)})
	}
	return &Ingress{Construct: c, LoadBalancer: lb, SecurityGroup: sg, TargetGroup: tg, Listener: listener, AccessLogs: logs, props: props, URL: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(scheme), lb.LoadBalancerDnsName()})}
}

// accessLogBucket keeps the ALB's access logs for days. It is retained when the stack is
// deleted (a non-empty bucket would make the delete fail) and empties itself by lifecycle.
func accessLogBucket(scope constructs.Construct, days int) awss3.Bucket {
	return awss3.NewBucket(scope, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED, // the only encryption ALB log delivery supports
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(cdkconv.Int(days))}},
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
}
