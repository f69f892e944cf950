package stage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/keelstack/keel/infra/bootstrap"
	"github.com/keelstack/keel/infra/database"
	"github.com/keelstack/keel/infra/githubroles"
	"github.com/keelstack/keel/infra/ingress"
	"github.com/keelstack/keel/infra/service"
	"github.com/keelstack/keel/infra/settings"
)

// suppressNag records, rule by rule, why an AwsSolutions finding does not apply here. Each
// suppression sits on the one resource it is about.
func suppressNag(s settings.Stage, in *ingress.Ingress, svc *service.Service) {
	scopeNag(in.SecurityGroup, &openPorts{ports: []float64{80, 443},
		reason: "The load balancer is the service's public entry point: it accepts HTTP(S) from anywhere on 80/443 only; tasks accept traffic from this group alone."})
	suppress(in.AccessLogs, "AwsSolutions-S1",
		"This bucket is the ALB access-log sink; logging access to it would need another sink for that log, and so on.")
	suppress(in.SmokeToken, "AwsSolutions-SMG4",
		"The smoke token is read by the listener rule through a CloudFormation dynamic reference, resolved at deploy: a rotation would lock the smoke check out until the next stack update. It opens nothing but the read-only health paths.")
	suppress(svc.TaskDefinition, "AwsSolutions-ECS2",
		"The environment holds only non-secret settings (port, timeouts, log level); VSYNC_CONFIG and VSYNC_PASSPHRASE come from Secrets Manager through `secrets`.")
	scopeNag(svc.TaskDefinition.ObtainExecutionRole(), &wildcardActions{actions: []string{"ecr:GetAuthorizationToken"},
		reason: "ecr:GetAuthorizationToken has no resource-level permissions (IAM requires Resource *); every other statement names its repository, log group or secret."})
	if s.Task.ECSExec {
		// The session log writes name the service's log group; ":*" is its streams.
		ownStreams := &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:[^:]+:logs:[a-z0-9-]+:\d{12}:log-group:<Logs[0-9A-F]{8}>:\*$/`)}
		scopeNag(svc.TaskDefinition.TaskRole(), &wildcardActions{actions: ecsExecActions, also: ownStreams,
			reason: "ECS Exec's ssmmessages channel actions and logs:DescribeLogGroups support no resource-level permissions; session logs may write any stream of the service's own log group, nothing else."})
	}
	if !s.Task.ContainerInsights {
		suppress(svc.Cluster.Node().DefaultChild(), "AwsSolutions-ECS4",
			"Container Insights is off in this stage by its settings (task.containerInsights) to save cost; service CPU and memory are still alarmed.")
	}
}

// suppressGitHubNag: each role reads one stack, by an ARN ending in the stack ID.
func suppressGitHubNag(roles *githubroles.Roles) {
	stackIDs := &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:[^:]+:cloudformation:[a-z0-9-]+:\d{12}:stack\/keel-[a-z]+\/\*$/`)}
	for _, r := range []constructs.IConstruct{roles.Diff, roles.Deploy} {
		cdknag.NagSuppressions_AddResourceSuppressions(r, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("Reads one stack: the wildcard is the stack ID CloudFormation appends to its name, unknown before the stack exists."),
			AppliesTo: &[]any{stackIDs},
		}}, jsii.Bool(true))
	}
}

// suppressBootstrapNag: the execution policies and the boundary are what IAM5 and IAM4 look
// for on purpose.
func suppressBootstrapNag(stage string, b *bootstrap.Bootstrap) {
	// The stage's own roles (CloudFormation-generated names start with the stack name), the
	// service-linked roles' path, the stage's buckets and the stage's secrets.
	stageScoped := &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:[^:]+:(iam::\d{12}:role\/(keel-` + stage + `-\*|aws-service-role\/\*)|s3:::keel-` + stage + `-\*(\/\*)?|secretsmanager:[a-z0-9-]+:\d{12}:secret:(keel\/` + stage + `\/\*|rds!\*))$/`)}
	for _, p := range b.ExecutionPolicies {
		suppressWildcard(p, stageScoped,
			"CloudFormation's handlers call create and describe actions (ec2:CreateVpc, ecs:CreateCluster, ...) that take no resource ARN or name a resource that does not exist yet; each action is listed by name, from the resource schemas, and IAM, S3, Secrets Manager and the bootstrap parameter are scoped to the stage (RDS's managed master secrets, named rds!... by RDS, only to create and tag).")
	}
	wholeService := &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Action::[a-z0-9-]+:\*$/`)}
	cdknag.NagSuppressions_AddResourceSuppressions(b.Boundary, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("A permissions boundary is a ceiling, never a grant: it names whole services (infra/bootstrap/ceiling.go) and the stage's own roles, buckets and secrets, and its Deny statements keep the roles off other stages, principals, secrets and the audit trail (IAM permissions boundaries)."),
		AppliesTo: &[]any{jsii.String("Resource::*"), wholeService, stageScoped},
	}}, jsii.Bool(true))
}

// ecsExecActions are the task role's ECS Exec actions on Resource *: IAM has no resource-level
// permissions for them (Service Authorization Reference: Amazon Session Manager Message Gateway
// Service; CloudWatch Logs DescribeLogGroups).
var ecsExecActions = []string{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel", "logs:DescribeLogGroups"}

func suppress(c constructs.IConstruct, rule, reason string) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{Id: jsii.String(rule), Reason: jsii.String(reason)}}, jsii.Bool(true))
}

// suppressWildcard accepts Resource::* and, when given, one more pattern: any other wildcard
// still fails.
func suppressWildcard(c constructs.IConstruct, also *cdknag.RegexAppliesTo, reason string) {
	appliesTo := []interface{}{jsii.String("Resource::*")}
	if also != nil {
		appliesTo = append(appliesTo, also)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(reason),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
}

// suppressDatabaseNag: the database's findings that do not apply, each on its resource.
func suppressDatabaseNag(s settings.Stage, db *database.Database, setup awsecs.FargateTaskDefinition) {
	suppress(db.Resource, "AwsSolutions-RDS11",
		"PostgreSQL's default port 5432 is the service's contract (DB_PORT); the database sits in isolated subnets and its security group admits only the service's tasks, so another port would hide nothing.")
	if s.Database.Kind == settings.Instance && !s.Database.MultiAZ { // RDS3 judges instances only
		suppress(db.Resource, "AwsSolutions-RDS3",
			"This stage runs its database in one availability zone by its settings (database.multiAz false) to save cost; prod is Multi-AZ.")
	}
	if !s.Database.DeletionProtection {
		suppress(db.Resource, "AwsSolutions-RDS10",
			"This stage is disposable by its settings (database.deletionProtection false): its stack must delete cleanly; staging and prod are protected.")
	}
	suppress(setup, "AwsSolutions-ECS2",
		"The environment holds only where to connect (host, port, database, the role to create); the master credential comes from Secrets Manager through `secrets`.")
	suppressWildcard(setup.ObtainExecutionRole(), nil,
		"ecr:GetAuthorizationToken has no resource-level permissions (IAM requires Resource *); every other statement names its repository, log group, secret or key.")
}
