package ingress

import (
	"errors"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TLS is how the load balancer gets its certificate: CertificateARN names an existing ACM
// certificate; otherwise DomainName in the hosted zone (HostedZoneID, HostedZoneName) gets a
// new one, validated through DNS records CloudFormation writes to that zone. With a domain,
// A and AAAA alias records point it at the load balancer. Empty: plain HTTP.
type TLS struct {
	CertificateARN string
	DomainName     string
	HostedZoneID   string
	HostedZoneName string
	// HSTS is the Strict-Transport-Security value the load balancer adds to every HTTPS
	// response (empty: HSTSDefault).
	HSTS string
}

// HSTSDefault asks browsers to use HTTPS for this name and its subdomains for a year.
const HSTSDefault = "max-age=31536000; includeSubDomains"

// SSLPolicy is ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09: TLS 1.3, and TLS 1.2 with
// forward-secret AEAD ciphers only, with post-quantum hybrid key exchange offered.
const SSLPolicy = elb.SslPolicy_TLS13_12_RES_PQ

func (t TLS) enabled() bool { return t.CertificateARN != "" || t.DomainName != "" }

func (t TLS) validate() error {
	if t.DomainName != "" && (t.HostedZoneID == "" || t.HostedZoneName == "") {
		return errors.New("ingress: a domain name needs its hosted zone ID and name")
	}
	return nil
}

// httpsListener serves HTTPS on 443 and redirects HTTP on 80 to it.
func httpsListener(scope constructs.Construct, lb elb.ApplicationLoadBalancer, tg elb.ApplicationTargetGroup, t TLS) (elb.ApplicationListener, *string) {
	var zone awsroute53.IHostedZone
	if t.DomainName != "" {
		zone = awsroute53.HostedZone_FromHostedZoneAttributes(scope, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(t.HostedZoneID), ZoneName: jsii.String(t.HostedZoneName),
		})
	}
	var cert awscertificatemanager.ICertificate
	if t.CertificateARN != "" {
		cert = awscertificatemanager.Certificate_FromCertificateArn(scope, jsii.String("Certificate"), jsii.String(t.CertificateARN))
	} else {
		cert = awscertificatemanager.NewCertificate(scope, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(t.DomainName),
			Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
		})
	}
	listener := lb.AddListener(jsii.String("Https"), &elb.BaseApplicationListenerProps{
		Port: jsii.Number(443), Open: jsii.Bool(true), Certificates: &[]elb.IListenerCertificate{elb.ListenerCertificate_FromCertificateManager(cert)},
		SslPolicy: SSLPolicy, DefaultTargetGroups: &[]elb.IApplicationTargetGroup{tg},
	})
	hsts := t.HSTS
	if hsts == "" {
		hsts = HSTSDefault
	}
	listener.SetAttribute(jsii.String("routing.http.response.strict_transport_security.header_value"), jsii.String(hsts))
	lb.AddRedirect(&elb.ApplicationLoadBalancerRedirectConfig{SourcePort: jsii.Number(80), TargetPort: jsii.Number(443)})
	if zone == nil {
		return listener, awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), lb.LoadBalancerDnsName()})
	}
	// AAAA answers only once the load balancer is dual-stack; until then it is an empty
	// answer, not an error, and clients fall back to A.
	target := awsroute53.RecordTarget_FromAlias(awsroute53targets.NewLoadBalancerTarget(lb, nil))
	awsroute53.NewARecord(scope, jsii.String("AliasA"), &awsroute53.ARecordProps{Zone: zone, RecordName: jsii.String(t.DomainName), Target: target})
	awsroute53.NewAaaaRecord(scope, jsii.String("AliasAAAA"), &awsroute53.AaaaRecordProps{Zone: zone, RecordName: jsii.String(t.DomainName), Target: target})
	return listener, jsii.String("https://" + t.DomainName)
}
