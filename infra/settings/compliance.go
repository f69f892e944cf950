package settings

import "slices"

// Compliance profiles. ProfileControlTower makes the stage pass AWS Control Tower's
// proactive controls (the CloudFormation hooks an organisation may enforce): its log groups
// are encrypted with a customer-managed KMS key and kept at least MinComplianceRetentionDays,
// every alarm has an action (an SNS topic is created when alarms.topicArn is empty), and the
// load balancer is deletion-protected. test/infra runs the controls against every stage.
const (
	ProfileNone         = "none"
	ProfileControlTower = "control-tower"
)

// MinComplianceRetentionDays is CT.CLOUDWATCH.PR.2's minimum.
const MinComplianceRetentionDays = 365

var profiles = []string{ProfileNone, ProfileControlTower}

type Compliance struct {
	Profile string `json:"profile"`
}

// ControlTower says whether the stage runs under the Control Tower profile.
func (s Stage) ControlTower() bool { return s.Compliance.Profile == ProfileControlTower }

func (s Stage) validateCompliance(p *problems) {
	if !slices.Contains(profiles, s.Compliance.Profile) {
		p.add("compliance.profile", quote(s.Compliance.Profile), "use %q or %q", ProfileControlTower, ProfileNone)
		return
	}
	if !s.ControlTower() {
		return
	}
	if s.Logs.RetentionDays < MinComplianceRetentionDays && slices.Contains(retentionDays, s.Logs.RetentionDays) {
		p.add("logs.retentionDays", s.Logs.RetentionDays, "the %s compliance profile keeps logs at least %d days (CT.CLOUDWATCH.PR.2); raise logs.retentionDays to 365 or more, or set compliance.profile %q", ProfileControlTower, MinComplianceRetentionDays, ProfileNone)
	}
	if !s.Protect {
		p.add("protect", false, "the %s compliance profile requires load balancer deletion protection (CT.ELASTICLOADBALANCING.PR.5); set protect true, or set compliance.profile %q", ProfileControlTower, ProfileNone)
	}
}
