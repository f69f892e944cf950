// Package service provides a Fargate service that reads its two vsync secrets from Secrets
// Manager at start, logs to its own log group, rolls back failed deployments by itself, drains
// before it stops, and scales on CPU, memory and requests.
package service

import (
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	elb "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
)

// Secrets names the two secrets the container receives as VSYNC_CONFIG and VSYNC_PASSPHRASE.
// Complete ARNs: a partial ARN makes the task fail at start with AccessDenied.
type Secrets struct {
	ConfigARN, PassphraseARN string
	// KMSKeyARN is the customer-managed key of the secrets, if any.
	KMSKeyARN string
}

// ContainerHealthCheck runs inside the task, in exec form (the image has no shell).
type ContainerHealthCheck struct {
	Command           []string
	Interval, Timeout time.Duration
	Retries           int
	StartPeriod       time.Duration
}

type Scaling struct {
	MinTasks, MaxTasks int
	CPUPercent         int
	MemoryPercent      int
	RequestsPerTarget  int
	// Cooldowns of every target tracking policy.
	ScaleOutCooldown, ScaleInCooldown time.Duration
}

type Props struct {
	Vpc            awsec2.IVpc
	Subnets        *awsec2.SubnetSelection
	AssignPublicIP bool

	Image     awsecs.ContainerImage
	ARM64     bool
	CPU       int
	MemoryMiB int
	Port      int
	// User is uid:gid; the image's own USER is repeated here so that a task cannot run as
	// root even from an image that forgot it.
	User        string
	Environment map[string]string
	// Labels are the container's Docker labels (keel releases reads the OCI version and revision).
	Labels      map[string]string
	Secrets     Secrets
	HealthCheck ContainerHealthCheck

	StopTimeout            time.Duration
	HealthCheckGracePeriod time.Duration
	LogGroup               awslogs.ILogGroup

	TargetGroup      elb.ApplicationTargetGroup
	DeploymentAlarms []awscloudwatch.IAlarm
	Deployment       Deployment
	Scaling          Scaling

	Spot              bool
	ECSExec           bool
	ContainerInsights bool
}

func (p Props) validate() error {
	switch {
	case p.Vpc == nil || p.Image == nil || p.TargetGroup == nil || p.LogGroup == nil:
		return errors.New("service: Vpc, Image, TargetGroup and LogGroup are required")
	case p.Secrets.ConfigARN == "" || p.Secrets.PassphraseARN == "":
		return errors.New("service: both secret ARNs are required")
	case len(p.HealthCheck.Command) < 2:
		return errors.New("service: the container health check needs an exec-form command (a one-element command is run by a shell)")
	case p.StopTimeout < 2*time.Second || p.StopTimeout > 120*time.Second:
		return errors.New("service: StopTimeout must be 2s to 120s on Fargate")
	case p.Spot && p.ARM64:
		return errors.New("service: Fargate Spot runs X86_64 tasks only")
	case p.Scaling.MinTasks < 1 || p.Scaling.MaxTasks < p.Scaling.MinTasks:
		return errors.New("service: scaling needs 1 <= MinTasks <= MaxTasks")
	case p.Scaling.ScaleOutCooldown < 0 || p.Scaling.ScaleInCooldown < 0:
		return errors.New("service: scaling cooldowns cannot be negative")
	}
	return p.Deployment.validate()
}

type Service struct {
	constructs.Construct
	Cluster        awsecs.Cluster
	TaskDefinition awsecs.FargateTaskDefinition
	Service        awsecs.FargateService
}

// The scratch directories ECS Exec's agent writes to; mounted only when ECS Exec is on, so
// that the root filesystem stays read-only either way.
var ecsExecPaths = map[string]string{
	"ecs-exec-managed-agents": "/managed-agents",
	"ecs-exec-ssm-lib":        "/var/lib/amazon/ssm",
	"ecs-exec-ssm-log":        "/var/log/amazon/ssm",
}

func New(scope constructs.Construct, id string, props Props) *Service {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	s := &Service{Construct: c}
	insights := awsecs.ContainerInsights_DISABLED
	if props.ContainerInsights {
		insights = awsecs.ContainerInsights_ENABLED
	}
	cp := &awsecs.ClusterProps{
		Vpc:                            props.Vpc,
		ContainerInsightsV2:            insights,
		EnableFargateCapacityProviders: jsii.Bool(props.Spot),
	}
	if props.ECSExec {
		// Session logs go to the service's log group; the default would grant the task role
		// log writes on every log group.
		cp.ExecuteCommandConfiguration = &awsecs.ExecuteCommandConfiguration{
			Logging:          awsecs.ExecuteCommandLogging_OVERRIDE,
			LogConfiguration: &awsecs.ExecuteCommandLogConfiguration{CloudWatchLogGroup: props.LogGroup},
		}
	}
	s.Cluster = awsecs.NewCluster(c, jsii.String("Cluster"), cp)
	s.TaskDefinition = newTaskDefinition(c, props)
	addContainer(s.TaskDefinition, props)
	if props.Secrets.KMSKeyARN != "" {
		grantKeyThroughSecretsManager(s.TaskDefinition, props.Secrets.KMSKeyARN)
	}
	s.Service = newFargateService(c, s.Cluster, s.TaskDefinition, props)
	attachToTargetGroup(s.Service, props)
	addScaling(s.Service, props)
	return s
}

func newTaskDefinition(scope constructs.Construct, props Props) awsecs.FargateTaskDefinition {
	arch := awsecs.CpuArchitecture_X86_64()
	if props.ARM64 {
		arch = awsecs.CpuArchitecture_ARM64()
	}
	td := awsecs.NewFargateTaskDefinition(scope, jsii.String("Task"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            cdkconv.Int(props.CPU),
		MemoryLimitMiB: cdkconv.Int(props.MemoryMiB),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       arch,
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
	})
	if props.ECSExec {
		for _, name := range slices.Sorted(maps.Keys(ecsExecPaths)) {
			td.AddVolume(&awsecs.Volume{Name: jsii.String(name)})
		}
	}
	return td
}

func addContainer(td awsecs.FargateTaskDefinition, props Props) {
	env := make(map[string]*string, len(props.Environment))
	for k, v := range props.Environment {
		env[k] = jsii.String(v)
	}
	container := td.AddContainer(jsii.String("app"), &awsecs.ContainerDefinitionOptions{
		Image:     props.Image,
		Essential: jsii.Bool(true),
		// The container's hard limit is the task's memory (CT.ECS.PR.7): one container, and
		// the kernel stops it before the task is stopped from outside.
		MemoryLimitMiB:         cdkconv.Int(props.MemoryMiB),
		ReadonlyRootFilesystem: jsii.Bool(true),
		User:                   jsii.String(props.User),
		StopTimeout:            cdkconv.Seconds(props.StopTimeout),
		PortMappings:           &[]*awsecs.PortMapping{{ContainerPort: cdkconv.Int(props.Port), Protocol: awsecs.Protocol_TCP}},
		Environment:            &env,
		DockerLabels:           cdkconv.StringMap(props.Labels),
		Secrets: &map[string]awsecs.Secret{
			"VSYNC_CONFIG":     secret(td, "ConfigSecret", props.Secrets.ConfigARN),
			"VSYNC_PASSPHRASE": secret(td, "PassphraseSecret", props.Secrets.PassphraseARN),
		},
		HealthCheck: &awsecs.HealthCheck{
			Command:     jsii.Strings(props.HealthCheck.Command...),
			Interval:    cdkconv.Seconds(props.HealthCheck.Interval),
			Timeout:     cdkconv.Seconds(props.HealthCheck.Timeout),
			Retries:     cdkconv.Int(props.HealthCheck.Retries),
			StartPeriod: cdkconv.Seconds(props.HealthCheck.StartPeriod),
		},
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{
			StreamPrefix: jsii.String("app"),
			LogGroup:     props.LogGroup,
			// A stalled log pipeline must not stall request handling; the buffer bounds the loss.
			Mode:          awsecs.AwsLogDriverMode_NON_BLOCKING,
			MaxBufferSize: awscdk.Size_Mebibytes(jsii.Number(25)),
		}),
	})
	if props.ECSExec {
		for _, name := range slices.Sorted(maps.Keys(ecsExecPaths)) {
			container.AddMountPoints(&awsecs.MountPoint{SourceVolume: jsii.String(name), ContainerPath: jsii.String(ecsExecPaths[name]), ReadOnly: jsii.Bool(false)})
		}
	}
}

// secret imports a secret by its complete ARN. The container's use of it grants the
// execution role (never the task role) read access to exactly this ARN.
func secret(scope constructs.Construct, id, arn string) awsecs.Secret {
	return awsecs.Secret_FromSecretsManager(awssecretsmanager.Secret_FromSecretCompleteArn(scope, jsii.String(id), jsii.String(arn)), nil)
}

// grantKeyThroughSecretsManager lets the execution role decrypt with the secrets' key, only
// when Secrets Manager asks. Written out because the CDK's own path (an imported key on the
// imported secret) drops the statement silently: the grantee it builds is a ViaServicePrincipal,
// which has no policy to add to, and an imported key has no key policy to add to either.
func grantKeyThroughSecretsManager(td awsecs.FargateTaskDefinition, kmsKeyARN string) {
	region := awscdk.Stack_Of(td).Region()
	td.ObtainExecutionRole().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("kms:Decrypt"),
		Resources: jsii.Strings(kmsKeyARN),
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("secretsmanager."), region, jsii.String(".amazonaws.com")}),
		}},
	}))
}

func newFargateService(scope constructs.Construct, cluster awsecs.Cluster, td awsecs.FargateTaskDefinition, props Props) awsecs.FargateService {
	alarmNames := make([]*string, len(props.DeploymentAlarms))
	for i, a := range props.DeploymentAlarms {
		alarmNames[i] = a.AlarmName()
	}
	sp := &awsecs.FargateServiceProps{
		Cluster:        cluster,
		TaskDefinition: td,
		// No DesiredCount: CloudFormation would reset a scaled-out service to it on every deploy.
		// Registering the scalable target raises the count to MinTasks.
		MinHealthyPercent:      jsii.Number(100),
		MaxHealthyPercent:      jsii.Number(200),
		CircuitBreaker:         &awsecs.DeploymentCircuitBreaker{Enable: jsii.Bool(true), Rollback: jsii.Bool(true)},
		HealthCheckGracePeriod: cdkconv.Seconds(props.HealthCheckGracePeriod),
		VpcSubnets:             props.Subnets,
		AssignPublicIp:         jsii.Bool(props.AssignPublicIP),
		EnableExecuteCommand:   jsii.Bool(props.ECSExec),
		PlatformVersion:        awsecs.FargatePlatformVersion_LATEST,
		PropagateTags:          awsecs.PropagatedTagSource_SERVICE,
	}
	props.Deployment.apply(sp)
	if len(alarmNames) > 0 {
		sp.DeploymentAlarms = &awsecs.DeploymentAlarmConfig{AlarmNames: &alarmNames, Behavior: awsecs.AlarmBehavior_ROLLBACK_ON_ALARM}
	}
	if props.Spot {
		sp.CapacityProviderStrategies = &[]*awsecs.CapacityProviderStrategy{{CapacityProvider: jsii.String("FARGATE_SPOT"), Weight: jsii.Number(1)}}
	}
	return awsecs.NewFargateService(scope, jsii.String("Service"), sp)
}

func addScaling(svc awsecs.FargateService, props Props) {
	sc := props.Scaling
	scaling := svc.AutoScaleTaskCount(&awsapplicationautoscaling.EnableScalingProps{
		MinCapacity: cdkconv.Int(sc.MinTasks),
		MaxCapacity: cdkconv.Int(sc.MaxTasks),
	})
	out, in := cdkconv.Seconds(sc.ScaleOutCooldown), cdkconv.Seconds(sc.ScaleInCooldown)
	scaling.ScaleOnCpuUtilization(jsii.String("Cpu"), &awsecs.CpuUtilizationScalingProps{
		TargetUtilizationPercent: cdkconv.Int(sc.CPUPercent), ScaleInCooldown: in, ScaleOutCooldown: out,
	})
	scaling.ScaleOnMemoryUtilization(jsii.String("Memory"), &awsecs.MemoryUtilizationScalingProps{
		TargetUtilizationPercent: cdkconv.Int(sc.MemoryPercent), ScaleInCooldown: in, ScaleOutCooldown: out,
	})
	scaling.ScaleOnRequestCount(jsii.String("Requests"), &awsecs.RequestCountScalingProps{
		RequestsPerTarget: cdkconv.Int(sc.RequestsPerTarget), TargetGroup: props.TargetGroup, ScaleInCooldown: in, ScaleOutCooldown: out,
	})
	// The two target groups swap roles on every progressive deployment. Target tracking
	// scales out when any policy asks and in only when all agree, so the idle group's zero
	// never holds the count down and the live group's requests always count.
	if alt := props.Deployment.AlternateTargetGroup; alt != nil {
		scaling.ScaleOnRequestCount(jsii.String("AlternateRequests"), &awsecs.RequestCountScalingProps{
			RequestsPerTarget: cdkconv.Int(sc.RequestsPerTarget), TargetGroup: alt, ScaleInCooldown: in, ScaleOutCooldown: out,
		})
	}
}
