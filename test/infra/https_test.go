package infra

import (
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/ingress"
	"github.com/keelstack/keel/infra/settings"
)

// listenersByPort returns the listeners' properties by port.
func listenersByPort(tp template) map[float64]map[string]any {
	out := map[float64]map[string]any{}
	for _, l := range tp.resources("AWS::ElasticLoadBalancingV2::Listener") {
		p := l["Properties"].(map[string]any)
		out[p["Port"].(float64)] = p
	}
	return out
}

// TestHTTPS: a stage with a domain gets a DNS-validated certificate in its zone, A and AAAA
// aliases to the load balancer, HTTPS on 443 with the TLS 1.3 policy and HSTS, and HTTP
// redirected to it.
func TestHTTPS(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		if !s.ServesHTTPS() {
			if n := len(tp.resources("AWS::CertificateManager::Certificate")) + len(tp.resources("AWS::Route53::RecordSet")); n != 0 {
				t.Errorf("%d certificate/record resources in a plain-HTTP stage", n)
			}
			return
		}
		cert := tp.props(t, "AWS::CertificateManager::Certificate")
		if cert["DomainName"] != s.HTTPS.DomainName || cert["ValidationMethod"] != "DNS" ||
			jsonOf(cert["DomainValidationOptions"]) != `[{"DomainName":"`+s.HTTPS.DomainName+`","HostedZoneId":"`+s.HTTPS.HostedZoneID+`"}]` {
			t.Errorf("certificate = %s, want %s DNS-validated in zone %s", jsonOf(cert), s.HTTPS.DomainName, s.HTTPS.HostedZoneID)
		}
		records := map[string]map[string]any{}
		for _, r := range tp.resources("AWS::Route53::RecordSet") {
			p := r["Properties"].(map[string]any)
			records[p["Type"].(string)] = p
		}
		for _, typ := range []string{"A", "AAAA"} {
			r := records[typ]
			if r == nil || r["Name"] != s.HTTPS.DomainName+"." || r["HostedZoneId"] != s.HTTPS.HostedZoneID ||
				!strings.Contains(jsonOf(get(r, "AliasTarget", "DNSName")), "IngressLoadBalancer") {
				t.Errorf("%s record = %s, want an alias of %s to the load balancer", typ, jsonOf(r), s.HTTPS.DomainName)
			}
		}
		listeners := listenersByPort(tp)
		https, http := listeners[443], listeners[80]
		if len(listeners) != 2 || https["Protocol"] != "HTTPS" || https["SslPolicy"] != "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09" ||
			!strings.Contains(jsonOf(get(https, "Certificates", 0, "CertificateArn")), "IngressCertificate") || get(https, "DefaultActions", 0, "Type") != "forward" {
			t.Errorf("HTTPS listener = %s", jsonOf(https))
		}
		if want := `[{"Key":"routing.http.response.strict_transport_security.header_value","Value":"` + ingress.HSTSDefault + `"}]`; jsonOf(https["ListenerAttributes"]) != want {
			t.Errorf("HTTPS listener attributes = %s, want %s", jsonOf(https["ListenerAttributes"]), want)
		}
		if jsonOf(get(http, "DefaultActions")) != `[{"RedirectConfig":{"Port":"443","Protocol":"HTTPS","StatusCode":"HTTP_301"},"Type":"redirect"}]` {
			t.Errorf("HTTP listener = %s, want a permanent redirect to HTTPS 443", jsonOf(http))
		}
	})
}

// TestPrivatePaths: /healthz and /readyz answer 404 through the production listener unless
// the request carries the smoke token, which the template holds only as a dynamic reference.
func TestPrivatePaths(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		production := "IngressLoadBalancerHttp"
		if s.ServesHTTPS() {
			production = "IngressLoadBalancerHttps"
		}
		rules := map[float64]map[string]any{}
		for _, r := range tp.resources("AWS::ElasticLoadBalancingV2::ListenerRule") {
			p := r["Properties"].(map[string]any)
			if p["Priority"].(float64) >= 50 {
				continue // a progressive strategy's production rule (delivery_test.go)
			}
			rules[p["Priority"].(float64)] = p
			if !strings.Contains(jsonOf(p["ListenerArn"]), production) {
				t.Errorf("rule %v on %s, want the production listener %s", p["Priority"], jsonOf(p["ListenerArn"]), production)
			}
		}
		paths := `{"Field":"path-pattern","PathPatternConfig":{"Values":["/healthz","/readyz"]}}`
		smoke, private := rules[1], rules[2]
		if len(rules) != 2 || jsonOf(private["Actions"]) != `[{"FixedResponseConfig":{"ContentType":"text/plain","MessageBody":"404 page not found\n","StatusCode":"404"},"Type":"fixed-response"}]` ||
			jsonOf(private["Conditions"]) != "["+paths+"]" {
			t.Errorf("private paths rule = %s, want 404 for %s", jsonOf(private), paths)
		}
		header := jsonOf(get(smoke, "Conditions", 1))
		if get(smoke, "Actions", 0, "Type") != "forward" || jsonOf(get(smoke, "Conditions", 0)) != paths ||
			!strings.Contains(header, `"HttpHeaderName":"`+ingress.SmokeHeader+`"`) || !strings.Contains(header, `{{resolve:secretsmanager:`) || !strings.Contains(header, `IngressSmokeToken`) {
			t.Errorf("smoke rule = %s, want the health paths forwarded with the %s header from a secret", jsonOf(smoke), ingress.SmokeHeader)
		}
		token := tp.props(t, "AWS::SecretsManager::Secret")
		if jsonOf(token["GenerateSecretString"]) != `{"ExcludePunctuation":true,"PasswordLength":64}` {
			t.Errorf("smoke token = %s", jsonOf(token))
		}
	})
}
