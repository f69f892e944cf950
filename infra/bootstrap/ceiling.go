package bootstrap

import (
	"slices"
	"strings"
)

// StageTag is the tag keel puts on every resource of a stage (stage.New), with the stage's
// name: the boundary denies a role of one stage any action on a resource tagged with another.
const StageTag = "keel:stage"

// The boundary's data. Extend it here, not with code branches:
//   - a resource type the stack newly holds: its handler actions in permissions.go; a service
//     not in wholeServices then enters the ceiling with exactly those actions;
//   - a role that needs a service at run time (a database connection, traces, a WAF log
//     delivery): add the service to wholeServices (and to guardedServices when its resources
//     carry tags), or its actions to runtimeActions;
//   - a new denial: boundaryDenials.
//
// Each change shows in the golden bootstrap templates and in the simulator's table
// (test/infra/escalation_test.go), whose positive twins fail when the ceiling is too low.
var (
	// wholeServices may be used whole by the stage's roles, on any resource (the services'
	// own actions on another stage's resources are denied by tag: guardedServices).
	wholeServices = []string{"acm", "application-autoscaling", "cloudwatch", "ec2", "ecs", "elasticloadbalancing", "kms", "logs", "rds", "rds-db", "route53", "sns", "ssmmessages", "wafv2"}
	// runtimeActions have no resource (Service Authorization Reference): the task execution
	// role's registry login, the password CloudFormation generates for a new secret, and the
	// task role's traces (X-Ray's OTLP endpoint authorizes them as PutTraceSegments).
	runtimeActions = []string{"ecr:GetAuthorizationToken", "secretsmanager:GetRandomPassword", "xray:PutTraceSegments"}
	// pullActions read the stage's own image repository.
	pullActions = []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
	// auditActions are what would blind the account's audit: CloudTrail and AWS Config
	// changes, and the account-wide S3 public-access block.
	auditActions = []string{"cloudtrail:Delete*", "cloudtrail:Put*", "cloudtrail:Stop*", "cloudtrail:Update*", "config:Delete*", "config:Put*", "config:Stop*", "s3:PutAccountPublicAccessBlock"}
	// foundationReads are what the stage's roles may do on the foundation's secrets and key:
	// the task execution role reads VSYNC_CONFIG and VSYNC_PASSPHRASE and decrypts them.
	foundationReads = []string{"kms:Decrypt", "kms:DescribeKey", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}
)

// guardedServices are the services whose resources keel tags and IAM evaluates
// aws:ResourceTag for: a role of one stage may do nothing on another stage's.
func guardedServices() []string {
	var out []string
	for _, s := range []string{"application-autoscaling", "cloudwatch", "ec2", "ecs", "elasticloadbalancing", "kms", "logs", "rds", "secretsmanager", "sns", "wafv2"} {
		out = append(out, s+":*")
	}
	return out
}

// ceilingActions: the whole services, then the exact handler actions of every other service
// that has no statement of its own (iam, s3, secretsmanager, ssm, ecr have one each).
func ceilingActions() []string {
	out := slices.Clone(runtimeActions)
	for _, s := range wholeServices {
		out = append(out, s+":*")
	}
	own := []string{"ecr", "iam", "s3", "secretsmanager", "ssm"}
	for service, actions := range actionsByService() {
		if !slices.Contains(wholeServices, service) && !slices.Contains(own, service) {
			out = append(out, actions...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// actionsByService groups the handlers' actions by service prefix, each list sorted.
func actionsByService() map[string][]string {
	byService := map[string][]string{}
	for _, actions := range handlerPermissions() {
		for _, action := range actions {
			service, _, _ := strings.Cut(action, ":")
			if !slices.Contains(byService[service], action) {
				byService[service] = append(byService[service], action)
			}
		}
	}
	for _, actions := range byService {
		slices.Sort(actions)
	}
	return byService
}
