package settings

import (
	"regexp"
	"strings"
)

// HTTPS names the stage's endpoint. With DomainName and its Route 53 hosted zone, the stack
// creates a DNS-validated ACM certificate and A/AAAA alias records for the load balancer;
// with CertificateARN (the stage's top-level certificateArn) it uses that certificate.
type HTTPS struct {
	DomainName     string `json:"domainName"`
	HostedZoneID   string `json:"hostedZoneId"`
	HostedZoneName string `json:"hostedZoneName"`
	// AllowPlainHTTP is the named opt-out: staging and prod refuse to synthesize an
	// internet-facing load balancer without HTTPS unless it is true.
	AllowPlainHTTP bool `json:"allowPlainHttp"`
}

var (
	// A hosted zone ID is "Z" and up to 32 upper-case letters and digits (Route 53 API).
	hostedZoneIDRE = regexp.MustCompile(`^Z[A-Z0-9]{1,32}$`)
	// A DNS name of labels of letters, digits and hyphens; no wildcard: the alias records
	// name one host.
	domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// httpsRequired: the stages whose users reach the service across the internet with real data.
func httpsRequired(stage string) bool { return stage == "staging" || stage == "prod" }

// ServesHTTPS says whether the stage's load balancer terminates TLS.
func (s Stage) ServesHTTPS() bool { return s.CertificateARN != "" || s.HTTPS.DomainName != "" }

func (s Stage) validateHTTPS(p *problems) {
	h := s.HTTPS
	if h.DomainName != "" {
		zone := strings.TrimSuffix(h.HostedZoneName, ".")
		switch {
		case !domainRE.MatchString(h.DomainName):
			p.add("https.domainName", quote(h.DomainName), "use a lower-case DNS name such as api.example.com (no wildcard, no trailing dot)")
		case h.HostedZoneName == "" || h.HostedZoneID == "":
			p.add("https.domainName", quote(h.DomainName), "a domain needs its Route 53 hosted zone: set https.hostedZoneId and https.hostedZoneName (aws route53 list-hosted-zones-by-name prints both), or remove https.domainName and set certificateArn")
		case h.DomainName != zone && !strings.HasSuffix(h.DomainName, "."+zone):
			p.add("https.hostedZoneName", quote(h.HostedZoneName), "the hosted zone does not contain https.domainName %q: ACM's validation record and the alias records cannot be created there; use the zone that %q is in, or a domainName under %q", h.DomainName, h.DomainName, zone)
		}
		if h.HostedZoneID != "" && !hostedZoneIDRE.MatchString(h.HostedZoneID) {
			p.add("https.hostedZoneId", quote(h.HostedZoneID), "a hosted zone ID looks like Z0123456789ABCDEFGHIJ (the Id of aws route53 list-hosted-zones without /hostedzone/)")
		}
	} else if h.HostedZoneID != "" || h.HostedZoneName != "" {
		p.add("https.domainName", `""`, "https.hostedZoneId and https.hostedZoneName only apply with a domain: set https.domainName, or remove the zone settings")
	}
	switch {
	case s.ServesHTTPS() && h.AllowPlainHTTP:
		p.add("https.allowPlainHttp", true, "this stage serves HTTPS, so the opt-out has no effect; remove it")
	case !s.ServesHTTPS() && httpsRequired(s.Name) && !h.AllowPlainHTTP:
		p.add("https.domainName", `""`, "%s must serve HTTPS: set https.domainName with https.hostedZoneId and https.hostedZoneName (a DNS-validated certificate and alias records), or certificateArn (an existing ACM certificate); to serve plain HTTP on purpose, set https.allowPlainHttp true", s.Name)
	}
}
