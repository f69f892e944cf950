package cost

import (
	"encoding/json"
	"fmt"
	"strings"
)

// waf prices each web ACL: a monthly fee, a fee per rule (a managed rule group counts as one
// rule), and every request it inspects (AWS WAF pricing); and its log group's ingestion and
// storage, one record per request (usage: wafLogBytesPerRequest) at the vended-log price.
func (m model) waf() []item {
	acls := m.stage.resources("AWS::WAFv2::WebACL")
	if len(acls) == 0 {
		return nil
	}
	var rules float64
	for _, acl := range acls {
		list, _ := acl.Props["Rules"].([]any)
		rules += float64(len(list))
	}
	millions := m.usage.RequestsPerSecond * m.hours * 3600 / 1e6
	out := []item{
		both("WAF web ACLs", "waf.webacl", float64(len(acls)), "web ACLs in the templates"),
		both("WAF rules", "waf.rule", rules, "rules and managed rule groups of the web ACLs"),
		both("WAF requests inspected", "waf.requests", millions*float64(len(acls)), fmt.Sprintf("usage: requestsPerSecond × %g h, in millions", m.hours)),
	}
	if days, ok := m.wafLogDays(); ok {
		gb := m.usage.RequestsPerSecond * m.hours * 3600 * m.usage.WAFLogBytesPerRequest / gib
		month := m.month()
		out = append(out,
			both("WAF logs ingested", "logs.vended", gb, "usage: requestsPerSecond × wafLogBytesPerRequest"),
			both("WAF logs stored", "logs.store", retained(gb, days, m.hours/24, month), retainedBasis("a month's WAF logs", days, month)))
	}
	return attribute(each(acls), out)
}

// wafLogDays is the retention of the log group a WAF logging configuration writes to (its
// destination is the group's ARN, built from a Ref to it), -1 when it keeps logs forever;
// false when WAF does not log.
func (m model) wafLogDays() (float64, bool) {
	for _, g := range m.stage.resources("AWS::Logs::LogGroup") {
		for _, lc := range m.stage.resources("AWS::WAFv2::LoggingConfiguration") {
			if refersTo(lc.Props["LogDestinationConfigs"], g.ID) {
				if d, ok := number(g.Props["RetentionInDays"]); ok {
					return d, true
				}
				return -1, true
			}
		}
	}
	return 0, false
}

// refersTo reports whether a template value holds a Ref to the resource id.
func refersTo(v any, id string) bool {
	b, _ := json.Marshal(v)
	return strings.Contains(string(b), `{"Ref":"`+id+`"}`)
}
