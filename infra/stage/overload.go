package stage

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/keelstack/keel/infra/ingress"
	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/infra/waf"
)

// withAdmission adds the admission control settings to the container's environment
// (app/internal/config reads them); limits left at 0 are derived from the task's vCPU.
func withAdmission(env map[string]string, s settings.Stage) map[string]string {
	a := s.Admission.Limits(s.Task.CPU)
	inflight := a.MaxInflight
	if !a.Enabled {
		inflight = 0 // the app's "off"
	}
	env["ADMISSION_MAX_INFLIGHT"] = fmt.Sprint(inflight)
	env["ADMISSION_BACKLOG"] = fmt.Sprint(a.Backlog)
	env["ADMISSION_MAX_WAIT"] = (time.Duration(a.MaxWaitMilliseconds) * time.Millisecond).String()
	env["REQUEST_TIMEOUT"] = sec(a.RequestTimeoutSeconds).String()
	return env
}

// newWAF puts the stage's web ACL in front of its load balancer when the stage asks for one.
// Its logs keep the stage's retention and key, and never the smoke token or credentials.
func newWAF(scope constructs.Construct, s settings.Stage, in *ingress.Ingress, key awskms.IKey) {
	if !s.WAF.Enabled {
		return
	}
	removal := awscdk.RemovalPolicy_DESTROY
	if s.Logs.RemovalPolicy == "retain" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	waf.New(scope, "Firewall", waf.Props{
		LoadBalancerARN:             in.LoadBalancer.LoadBalancerArn(),
		Name:                        StackName(s.Name),
		RequestsPerIPPerFiveMinutes: s.WAF.RequestsPerIPPerFiveMinutes,
		LogRetention:                retention(s.Logs.RetentionDays),
		LogRemoval:                  removal,
		LogKey:                      key,
		RedactedHeaders:             []string{ingress.SmokeHeader, "authorization", "cookie"},
	})
}
