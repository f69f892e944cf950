package settings

import "fmt"

// ExampleAccount is the AWS documentation's example account. The defaults use it so that
// `make synth` works on a machine with no account; a deploy with real credentials for another
// account is refused by the CDK CLI before it touches anything.
const ExampleAccount = "123456789012"

const defaultRegion = "eu-west-1"

// Defaults returns the built-in settings of a stage.
func Defaults(stage string) (Stage, error) {
	base := Stage{
		Name:              stage,
		Account:           ExampleAccount,
		Region:            defaultRegion,
		AvailabilityZones: []string{defaultRegion + "a", defaultRegion + "b"},
		// No Secrets: the stage's foundation creates them (make foundation).
		Task:        Task{CPU: 256, MemoryMiB: 512, ARM64: true},
		Scaling:     Scaling{MinTasks: 1, MaxTasks: 2, CPUPercent: 60, MemoryPercent: 75},
		HealthCheck: HealthCheck{IntervalSeconds: 10, TimeoutSeconds: 5, HealthyThreshold: 2, UnhealthyThreshold: 3, GracePeriodSeconds: 30},
		Drain:       Drain{DeregistrationDelaySeconds: 5, StopTimeoutSeconds: 30, ShutdownBudgetSeconds: 20},
		App:         App{Port: 8080, BootTimeoutSeconds: 10, FreshnessIntervalSeconds: 30, LogLevel: "info"},
		Logs:        Logs{RetentionDays: 7, RemovalPolicy: "destroy"},
		Alarms:      Alarms{Target5xxPerMinute: 5, ELB5xxPerMinute: 5, CPUPercent: 85, MemoryPercent: 85, EvaluationMinutes: 3},
		GitHub:      GitHub{Repository: "keelstack/keel"},
		Deployment:  defaultDeployment(stage),
		Telemetry:   defaultTelemetry(stage),
		Compliance:  Compliance{Profile: ProfileNone},
		Foundation:  Foundation{NoncurrentVersionDays: 30},
	}
	switch stage {
	case "dev":
		base.Bootstrap.Qualifier = "keeldev"
		base.Network = Network{NatGateways: 0, PublicTasks: true}
		base.Task.ECSExec = true
	case "staging":
		base.Bootstrap.Qualifier = "keelstg"
		base.Network = Network{NatGateways: 1}
		base.Task = Task{CPU: 512, MemoryMiB: 1024, ARM64: true, ContainerInsights: true}
		base.Scaling.MinTasks, base.Scaling.MaxTasks = 2, 4
		base.Drain = Drain{DeregistrationDelaySeconds: 30, StopTimeoutSeconds: 45, ShutdownBudgetSeconds: 30}
		base.Logs = Logs{RetentionDays: 30, RemovalPolicy: "retain"}
		base.HTTPS = exampleHTTPS("staging." + exampleDomain)
	case "prod":
		base.Bootstrap.Qualifier = "keelprod"
		base.Network = Network{NatGateways: 2}
		base.Task = Task{CPU: 1024, MemoryMiB: 2048, ARM64: true, ContainerInsights: true}
		base.Scaling.MinTasks, base.Scaling.MaxTasks = 3, 12
		base.HealthCheck.GracePeriodSeconds = 60
		base.Drain = Drain{DeregistrationDelaySeconds: 45, StopTimeoutSeconds: 60, ShutdownBudgetSeconds: 40}
		base.Logs = Logs{RetentionDays: 365, RemovalPolicy: "retain"}
		base.Alarms.EvaluationMinutes = 2
		base.Foundation = Foundation{CustomerManagedKey: true, NoncurrentVersionDays: 90}
		base.Protect = true
		base.HTTPS = exampleHTTPS(exampleDomain)
		base.Compliance.Profile = ProfileControlTower
	default:
		return Stage{}, unknownStage(stage)
	}
	overloadDefaults(&base)
	if stage != "dev" { // one GitHub OIDC provider per account: dev creates it, the others import it
		base.GitHub.OIDCProviderARN = GitHubProviderARN(base.Account)
	}
	return base, nil
}

// defaultDeployment: dev replaces in place and judges one minute (fastest: ECS's alarm bake
// is the alarms' window); staging shifts in steps, so the step path runs under test traffic
// before anything reaches prod; prod sends a canary first.
// The README's "Progressive delivery" section gives the reasons for each number.
func defaultDeployment(stage string) Deployment {
	d := Deployment{
		Strategy:      Rolling,
		CanaryPercent: 10, CanaryBakeMinutes: 10,
		LinearStepPercent: 25, LinearStepBakeMinutes: 4,
		BakeMinutes:      5,
		TestListenerPort: 9000,
		Alarms:           DeploymentAlarms{Target5xxPercent: 5, MinRequestsPerMinute: 10, P99LatencyMilliseconds: 2000, EvaluationMinutes: 1},
	}
	switch stage {
	case "staging":
		d.Strategy = Linear
		d.Alarms.EvaluationMinutes = 3
	case "prod":
		d.Strategy = Canary
		d.BakeMinutes = 10
		d.Alarms = DeploymentAlarms{Target5xxPercent: 1, MinRequestsPerMinute: 20, P99LatencyMilliseconds: 1000, EvaluationMinutes: 2}
	}
	return d
}

// GitHubProviderARN is the ARN of the GitHub Actions OIDC provider in account.
func GitHubProviderARN(account string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com"
}

// exampleDomain and exampleZoneID are documentation values (example.com is reserved by
// RFC 2606; the zone ID is the Route 53 documentation's): synth works on a fresh clone, and a
// deploy fails at the certificate until a stage names its real domain and zone.
const (
	exampleDomain = "keel.example.com"
	exampleZoneID = "Z3M3LMPEXAMPLE"
)

func exampleHTTPS(domain string) HTTPS {
	return HTTPS{DomainName: domain, HostedZoneID: exampleZoneID, HostedZoneName: "example.com"}
}

func unknownStage(stage string) error {
	return fmt.Errorf("unknown stage %q: the stages are %v; fix the context key (keel:<stage>) or the STAGE argument", stage, Names)
}
