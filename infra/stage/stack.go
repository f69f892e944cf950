package stage

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/alarms"
	"github.com/keelstack/keel/infra/ingress"
	"github.com/keelstack/keel/infra/network"
	"github.com/keelstack/keel/infra/service"
	"github.com/keelstack/keel/infra/settings"
)

// containerUser is distroless's nonroot user, repeated in the task definition.
const containerUser = "65532:65532"

func sec(n int) time.Duration { return time.Duration(n) * time.Second }

func newServiceStack(scope constructs.Construct, s settings.Stage, img Image) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String("Service"), &awscdk.StackProps{
		StackName:             jsii.String(StackName(s.Name)),
		Description:           jsii.String(fmt.Sprintf("keel %s: Fargate service behind an ALB, secrets from Secrets Manager", s.Name)),
		TerminationProtection: jsii.Bool(s.Protect),
		Synthesizer:           awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{Qualifier: jsii.String(s.Bootstrap.Qualifier)}),
	})
	scopeServiceStack(stack, s)
	profile := compliancePieces(stack, s)
	var logKey awskms.IKey
	if profile != nil {
		logKey = profile.Key
	}
	appLogs := logGroup(stack, "Logs", s.Logs, logKey)
	net := network.New(stack, "Network", network.Props{
		AvailabilityZones: s.AvailabilityZones,
		NatGateways:       s.Network.NatGateways,
		PublicTasks:       s.Network.PublicTasks,
		VpcID:             s.Network.VpcID,
		PublicSubnetIDs:   s.Network.PublicSubnetIDs,
		PrivateSubnetIDs:  s.Network.PrivateSubnetIDs,
		Isolated:          s.Database != nil,
		IsolatedSubnetIDs: databaseSubnetIDs(s),
		FlowLogs:          flowLogGroup(stack, s, logKey),
	})
	db := newDatabase(stack, s, net, logKey)
	in := ingress.New(stack, "Ingress", ingress.Props{
		Vpc:  net.Vpc,
		Port: s.App.Port,
		TLS: ingress.TLS{
			CertificateARN: s.CertificateARN,
			DomainName:     s.HTTPS.DomainName,
			HostedZoneID:   s.HTTPS.HostedZoneID,
			HostedZoneName: s.HTTPS.HostedZoneName,
		},
		PrivatePaths:   []string{"/healthz", "/readyz"},
		SmokeTokenName: SmokeTokenName(s.Name),
		HealthCheck: ingress.HealthCheck{
			Path:               "/healthz",
			Interval:           sec(s.HealthCheck.IntervalSeconds),
			Timeout:            sec(s.HealthCheck.TimeoutSeconds),
			HealthyThreshold:   s.HealthCheck.HealthyThreshold,
			UnhealthyThreshold: s.HealthCheck.UnhealthyThreshold,
		},
		DeregistrationDelay: sec(s.Drain.DeregistrationDelaySeconds),
		DeletionProtection:  s.Protect,
		AccessLogDays:       s.Logs.RetentionDays,
	})
	newWAF(stack, s, in, logKey)
	dl := newDelivery(stack, s, in)
	al := alarms.New(stack, "Alarms", alarms.Props{
		LoadBalancer:       in.LoadBalancer,
		TargetGroup:        in.TargetGroup,
		AlternateGroup:     alternateTargetGroup(dl),
		Deployment:         deploymentThresholds(s.Deployment.Alarms),
		NamePrefix:         deploymentAlarmPrefix(s.Name),
		Topic:              alarmTopic(stack, s, profile),
		Target5xxPerMinute: s.Alarms.Target5xxPerMinute,
		ELB5xxPerMinute:    s.Alarms.ELB5xxPerMinute,
		CPUPercent:         s.Alarms.CPUPercent,
		MemoryPercent:      s.Alarms.MemoryPercent,
		EvaluationMinutes:  s.Alarms.EvaluationMinutes,
	})
	svc := service.New(stack, "App", service.Props{
		Vpc:            net.Vpc,
		Subnets:        net.TaskSubnets,
		AssignPublicIP: net.AssignPublicIP,
		Image:          containerImage(img, s.Task.ARM64),
		Labels:         imageLabels(img),
		ARM64:          s.Task.ARM64,
		CPU:            s.Task.CPU,
		MemoryMiB:      s.Task.MemoryMiB,
		Port:           s.App.Port,
		User:           containerUser,
		Environment:    withTelemetry(withAdmission(withDatabaseEnvironment(appEnvironment(s), s, db), s), s),
		Secrets:        serviceSecrets(s),
		HealthCheck: service.ContainerHealthCheck{
			Command:     []string{"CMD", "/server", "healthcheck"},
			Interval:    10 * time.Second,
			Timeout:     3 * time.Second,
			Retries:     3,
			StartPeriod: sec(s.HealthCheck.GracePeriodSeconds),
		},
		StopTimeout:            sec(s.Drain.StopTimeoutSeconds),
		HealthCheckGracePeriod: sec(s.HealthCheck.GracePeriodSeconds),
		LogGroup:               appLogs,
		TargetGroup:            in.TargetGroup,
		DeploymentAlarms:       al.Deployment,
		Deployment:             serviceDeployment(s.Deployment, dl),
		Scaling: service.Scaling{
			MinTasks:          s.Scaling.MinTasks,
			MaxTasks:          s.Scaling.MaxTasks,
			CPUPercent:        s.Scaling.CPUPercent,
			MemoryPercent:     s.Scaling.MemoryPercent,
			RequestsPerTarget: s.Scaling.RequestsPerTargetFor(s.Task.CPU),
			ScaleOutCooldown:  sec(s.Scaling.ScaleOutCooldownSeconds),
			ScaleInCooldown:   sec(s.Scaling.ScaleInCooldownSeconds),
		},
		Spot:              s.Task.Spot,
		ECSExec:           s.Task.ECSExec,
		ContainerInsights: s.Task.ContainerInsights,
	})
	al.WatchService(svc.Service)
	wireDatabase(stack, s, db, svc, net, img, appLogs)
	grantTracing(svc, s)
	// Last of the constructs: the dashboard shows every alarm the stack holds at this point.
	board := newDashboard(stack, s, in, dl, svc, dashboardDatabase(db))
	if dl != nil { // ECS checks the traffic role's permissions when it creates the service
		svc.Service.Node().AddDependency(dl.Role)
		referenced := []awscdk.CfnResource{dl.ProductionRule.Node().DefaultChild().(awscdk.CfnResource), dl.Role.Node().DefaultChild().(awscdk.CfnResource)}
		if dl.TestRule != nil {
			referenced = append(referenced, dl.TestRule.Node().DefaultChild().(awscdk.CfnResource))
		}
		dropRedundantDependsOn(svc.Service.Node().DefaultChild().(awscdk.CfnResource), referenced...)
	}

	output(stack, "Url", in.URL, "Where the service answers; curl <Url>/healthz")
	output(stack, "ClusterName", svc.Cluster.ClusterName(), "For aws ecs update-service --cluster")
	output(stack, "ServiceName", svc.Service.ServiceName(), "For aws ecs update-service --service")
	output(stack, "LogGroupName", appLogs.LogGroupName(), "The service's logs")
	output(stack, "DashboardUrl", board.URL, "The stage's CloudWatch dashboard")
	if dl != nil {
		output(stack, "ProductionRuleArn", dl.ProductionRule.ListenerRuleArn(), "The listener rule ECS re-weights between the two target groups (aws elbv2 describe-rules --rule-arns)")
	}
	output(stack, "DeploymentAlarmNames", alarmNames(al), "The alarms ECS rolls a deployment back on; make deploy refuses to start while one is in ALARM")
	output(stack, "SmokeTokenArn", in.SmokeToken.SecretArn(), "make smoke sends this secret's value as the "+ingress.SmokeHeader+" header to read /healthz through the load balancer")
	suppressNag(s, in, svc)
	suppressDeliveryNag(dl)
	return stack
}

// appEnvironment is the container's non-secret configuration; the app's flags of the same
// names default to the same values.
func appEnvironment(s settings.Stage) map[string]string {
	return map[string]string{
		"PORT":               fmt.Sprint(s.App.Port),
		"LOG_LEVEL":          s.App.LogLevel,
		"BOOT_TIMEOUT":       sec(s.App.BootTimeoutSeconds).String(),
		"SHUTDOWN_BUDGET":    sec(s.Drain.ShutdownBudgetSeconds).String(),
		"FRESHNESS_INTERVAL": sec(s.App.FreshnessIntervalSeconds).String(),
	}
}

func containerImage(img Image, arm64 bool) awsecs.ContainerImage {
	platform := awsecrassets.Platform_LINUX_AMD64()
	if arm64 {
		platform = awsecrassets.Platform_LINUX_ARM64()
	}
	args := make(map[string]*string, len(img.BuildArgs))
	for k, v := range img.BuildArgs {
		args[k] = jsii.String(v)
	}
	return awsecs.ContainerImage_FromAsset(jsii.String(img.RepoRoot), &awsecs.AssetImageProps{
		File:       jsii.String("Dockerfile"),
		Platform:   platform,
		IgnoreMode: awscdk.IgnoreMode_DOCKER,
		BuildArgs:  &args,
	})
}

func logGroup(scope constructs.Construct, id string, l settings.Logs, key awskms.IKey) awslogs.LogGroup {
	removal := awscdk.RemovalPolicy_DESTROY
	if l.RemovalPolicy == "retain" {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     retention(l.RetentionDays),
		RemovalPolicy: removal,
		EncryptionKey: key,
	})
}

// retention maps the days CloudWatch Logs accepts (settings validates them) to the CDK's names.
func retention(days int) awslogs.RetentionDays {
	names := map[int]awslogs.RetentionDays{
		1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
		7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
		60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
		150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
		400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
		2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}
	r, ok := names[days]
	if !ok {
		panic(fmt.Sprintf("stage: log retention of %d days has no CDK name", days))
	}
	return r
}

// flowLogGroup is the rejected-traffic log of a VPC this stack creates (an imported VPC has
// its owner's).
func flowLogGroup(scope constructs.Construct, s settings.Stage, key awskms.IKey) awslogs.ILogGroup {
	if s.Network.VpcID != "" {
		return nil
	}
	return logGroup(scope, "FlowLogs", s.Logs, key)
}

func output(scope constructs.Construct, id string, value *string, description string) {
	awscdk.NewCfnOutput(scope, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
}
