package settings

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Limits that AWS enforces or that the drain chain needs.
const (
	MaxStopTimeoutSeconds = 120 // Fargate's cap on the SIGTERM-to-SIGKILL wait
	DrainMarginSeconds    = 5   // between the app's shutdown budget and SIGKILL
)

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$`)
	vpcRE     = regexp.MustCompile(`^vpc-[0-9a-f]{8}([0-9a-f]{9})?$`)
	subnetRE  = regexp.MustCompile(`^subnet-[0-9a-f]{8}([0-9a-f]{9})?$`)
	arnRE     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):(\d{12}):(.+)$`)
	// A complete secret ARN ends in "-" and the 6 characters Secrets Manager appends.
	secretSuffixRE = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)
	repositoryRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	qualifierRE    = regexp.MustCompile(`^[a-z0-9]{1,10}$`)

	// CloudWatch Logs accepts only these retention periods.
	retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	logLevels     = []string{"debug", "info", "warn", "error"}
)

// problems collects one line per bad setting: the setting, its value and the fix.
type problems struct {
	stage string
	list  []error
}

func (p *problems) add(setting string, value any, format string, args ...any) {
	p.list = append(p.list, fmt.Errorf("%s%s.%s = %v: %s", ContextPrefix, p.stage, setting, value, fmt.Sprintf(format, args...)))
}

// Validate reports every problem of s, one per line.
func (s Stage) Validate() error {
	p := &problems{stage: s.Name}
	s.validatePlacement(p)
	s.validateNetwork(p)
	s.validateARNs(p)
	s.validateTask(p)
	s.validateScaling(p)
	s.validateHealthAndDrain(p)
	s.validateOperations(p)
	s.validateDeployment(p)
	s.validateHTTPS(p)
	s.validateCompliance(p)
	s.validateDatabase(p)
	s.validateOverload(p)
	s.validateTelemetry(p)
	return errors.Join(p.list...)
}

func (s Stage) validatePlacement(p *problems) {
	if !accountRE.MatchString(s.Account) {
		p.add("account", quote(s.Account), "an AWS account ID is 12 digits")
	}
	if !regionRE.MatchString(s.Region) {
		p.add("region", quote(s.Region), "use a region code such as eu-west-1")
	}
	if len(s.AvailabilityZones) < 2 {
		p.add("availabilityZones", s.AvailabilityZones, "an ALB needs at least 2 availability zones; list 2 or 3 zones of %s", s.Region)
	}
	for i, az := range s.AvailabilityZones {
		if !strings.HasPrefix(az, s.Region) || len(az) <= len(s.Region) || slices.Index(s.AvailabilityZones, az) != i {
			p.add("availabilityZones", s.AvailabilityZones, "each zone must be a distinct zone of %s (such as %sa)", s.Region, s.Region)
			break
		}
	}
}

func (s Stage) validateNetwork(p *problems) {
	n := s.Network
	if n.VpcID == "" {
		if len(n.PublicSubnetIDs)+len(n.PrivateSubnetIDs) > 0 {
			p.add("network.vpcId", `""`, "subnet IDs only apply to an imported VPC: set vpcId too, or remove the subnet IDs")
		}
		if n.NatGateways < 0 || n.NatGateways > len(s.AvailabilityZones) {
			p.add("network.natGateways", n.NatGateways, "use 0 to %d (one per availability zone at most)", len(s.AvailabilityZones))
		}
		if n.NatGateways == 0 && !n.PublicTasks {
			p.add("network.natGateways", 0, "tasks in private subnets without NAT cannot pull their image or reach S3 and Secrets Manager; set natGateways >= 1 or publicTasks true")
		}
		return
	}
	if !vpcRE.MatchString(n.VpcID) {
		p.add("network.vpcId", quote(n.VpcID), "a VPC ID looks like vpc-0123456789abcdef0")
	}
	if n.NatGateways != 0 {
		p.add("network.natGateways", n.NatGateways, "NAT gateways belong to the imported VPC; remove this setting (use 0)")
	}
	subnets := []named[[]string]{{"network.publicSubnetIds", n.PublicSubnetIDs}}
	if !n.PublicTasks {
		subnets = append(subnets, named[[]string]{"network.privateSubnetIds", n.PrivateSubnetIDs})
	}
	for _, nv := range subnets {
		setting, ids := nv.name, nv.value
		if len(ids) != len(s.AvailabilityZones) {
			p.add(setting, ids, "list one subnet per availability zone (%d), in the order of availabilityZones", len(s.AvailabilityZones))
		}
		for _, id := range ids {
			if !subnetRE.MatchString(id) {
				p.add(setting, ids, "%q is not a subnet ID (subnet-0123456789abcdef0)", id)
			}
		}
	}
}

func (s Stage) validateARNs(p *problems) {
	s.validateSecrets(p)
	if arn := s.CertificateARN; arn != "" && (!matchARN(arn, "acm", "certificate/") || arnRegion(arn) != s.Region) {
		p.add("certificateArn", quote(arn), "use an ACM certificate ARN in the stage's region %s, or leave it empty and set https.domainName", s.Region)
	}
	if arn := s.Alarms.TopicARN; arn != "" && !matchARN(arn, "sns", "") {
		p.add("alarms.topicArn", quote(arn), "use an SNS topic ARN, arn:aws:sns:<region>:<account>:<topic>, or leave it empty")
	}
	if arn := s.GitHub.OIDCProviderARN; arn != "" && arn != GitHubProviderARN(s.Account) {
		p.add("github.oidcProviderArn", quote(arn), "use %s (the GitHub OIDC provider of this stage's account), or \"\" to create it in this stage", GitHubProviderARN(s.Account))
	}
}

func matchARN(arn, service, resourcePrefix string) bool {
	m := arnRE.FindStringSubmatch(arn)
	return m != nil && m[2] == service && m[3] != "" && strings.HasPrefix(m[5], resourcePrefix) && len(m[5]) > len(resourcePrefix)
}

func arnRegion(arn string) string {
	if m := arnRE.FindStringSubmatch(arn); m != nil {
		return m[3]
	}
	return ""
}

func (s Stage) validateTask(p *problems) {
	t := s.Task
	if mems, ok := fargateMemory[t.CPU]; !ok {
		p.add("task.cpu", t.CPU, "Fargate offers 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units")
	} else if !slices.Contains(mems, t.MemoryMiB) {
		p.add("task.memoryMiB", t.MemoryMiB, "with task.cpu = %d Fargate offers %s MiB", t.CPU, describeMemory(mems))
	}
	if t.Spot && t.ARM64 {
		p.add("task.spot", true, "Fargate Spot runs X86_64 tasks only; set task.arm64 false, or spot false")
	}
}

func (s Stage) validateScaling(p *problems) {
	sc := s.Scaling
	if sc.MinTasks < 1 {
		p.add("scaling.minTasks", sc.MinTasks, "at least 1 task must run behind the load balancer")
	}
	if sc.MaxTasks < sc.MinTasks || sc.MaxTasks > 1000 {
		p.add("scaling.maxTasks", sc.MaxTasks, "use a value from scaling.minTasks (%d) to 1000", sc.MinTasks)
	}
	for _, nv := range []named[int]{{"scaling.cpuPercent", sc.CPUPercent}, {"scaling.memoryPercent", sc.MemoryPercent}} {
		setting, v := nv.name, nv.value
		if v < 10 || v > 95 {
			p.add(setting, v, "a target tracking utilisation between 10 and 95")
		}
	}
	if sc.RequestsPerTarget < 0 {
		p.add("scaling.requestsPerTarget", sc.RequestsPerTarget, "use requests per task per minute, or 0 to derive it from the measured capacity (capacity.go)")
	}
}

func (s Stage) validateHealthAndDrain(p *problems) {
	h, d, a := s.HealthCheck, s.Drain, s.App
	if h.IntervalSeconds < 5 || h.IntervalSeconds > 300 {
		p.add("healthCheck.intervalSeconds", h.IntervalSeconds, "the ALB accepts 5 to 300")
	}
	if h.TimeoutSeconds < 2 || h.TimeoutSeconds > 120 || h.TimeoutSeconds >= h.IntervalSeconds {
		p.add("healthCheck.timeoutSeconds", h.TimeoutSeconds, "use 2 to 120 and less than healthCheck.intervalSeconds (%d)", h.IntervalSeconds)
	}
	for _, nv := range []named[int]{{"healthCheck.healthyThreshold", h.HealthyThreshold}, {"healthCheck.unhealthyThreshold", h.UnhealthyThreshold}} {
		setting, v := nv.name, nv.value
		if v < 2 || v > 10 {
			p.add(setting, v, "the ALB accepts 2 to 10")
		}
	}
	if h.GracePeriodSeconds <= a.BootTimeoutSeconds {
		p.add("healthCheck.gracePeriodSeconds", h.GracePeriodSeconds, "must exceed app.bootTimeoutSeconds (%d), or a slow boot is killed as unhealthy before it can finish", a.BootTimeoutSeconds)
	}
	if d.DeregistrationDelaySeconds < 0 || d.DeregistrationDelaySeconds > 3600 {
		p.add("drain.deregistrationDelaySeconds", d.DeregistrationDelaySeconds, "the ALB accepts 0 to 3600")
	}
	if d.StopTimeoutSeconds < 2 || d.StopTimeoutSeconds > MaxStopTimeoutSeconds {
		p.add("drain.stopTimeoutSeconds", d.StopTimeoutSeconds, "Fargate accepts 2 to %d", MaxStopTimeoutSeconds)
	}
	if d.ShutdownBudgetSeconds < 1 || d.ShutdownBudgetSeconds+DrainMarginSeconds > d.StopTimeoutSeconds {
		p.add("drain.shutdownBudgetSeconds", d.ShutdownBudgetSeconds,
			"the app's drain budget plus a %d s margin must fit in drain.stopTimeoutSeconds (%d), or SIGKILL cuts requests mid-flight; lower it to at most %d or raise stopTimeoutSeconds (Fargate caps it at %d)",
			DrainMarginSeconds, d.StopTimeoutSeconds, d.StopTimeoutSeconds-DrainMarginSeconds, MaxStopTimeoutSeconds)
	}
	if a.BootTimeoutSeconds < 1 || a.BootTimeoutSeconds > 120 {
		p.add("app.bootTimeoutSeconds", a.BootTimeoutSeconds, "use 1 to 120")
	}
	if a.Port < 1024 || a.Port > 65535 {
		p.add("app.port", a.Port, "the container runs as a non-root user: use a port from 1024 to 65535")
	}
	if a.FreshnessIntervalSeconds < 1 {
		p.add("app.freshnessIntervalSeconds", a.FreshnessIntervalSeconds, "use at least 1 (seconds between S3 freshness checks)")
	}
	if !slices.Contains(logLevels, a.LogLevel) {
		p.add("app.logLevel", quote(a.LogLevel), "use one of %v", logLevels)
	}
}

func (s Stage) validateOperations(p *problems) {
	if !repositoryRE.MatchString(s.GitHub.Repository) {
		p.add("github.repository", quote(s.GitHub.Repository), "use owner/name of the GitHub repository that deploys this stage")
	}
	// The bootstrap template's rule: a qualifier is at most 10 lowercase letters and digits.
	if !qualifierRE.MatchString(s.Bootstrap.Qualifier) {
		p.add("bootstrap.qualifier", quote(s.Bootstrap.Qualifier), "use 1 to 10 lowercase letters and digits, one per stage (the defaults are keeldev, keelstg and keelprod)")
	}
	if !slices.Contains(retentionDays, s.Logs.RetentionDays) {
		p.add("logs.retentionDays", s.Logs.RetentionDays, "CloudWatch Logs accepts %v", retentionDays)
	}
	if s.Logs.RemovalPolicy != "retain" && s.Logs.RemovalPolicy != "destroy" {
		p.add("logs.removalPolicy", quote(s.Logs.RemovalPolicy), `use "retain" or "destroy"`)
	}
	al := s.Alarms
	for _, nv := range []named[int]{{"alarms.target5xxPerMinute", al.Target5xxPerMinute}, {"alarms.elb5xxPerMinute", al.ELB5xxPerMinute}, {"alarms.evaluationMinutes", al.EvaluationMinutes}} {
		setting, v := nv.name, nv.value
		if v < 1 {
			p.add(setting, v, "use at least 1")
		}
	}
	for _, nv := range []named[int]{{"alarms.cpuPercent", al.CPUPercent}, {"alarms.memoryPercent", al.MemoryPercent}} {
		setting, v := nv.name, nv.value
		if v < 1 || v > 100 {
			p.add(setting, v, "use a percentage from 1 to 100")
		}
	}
}

// named is a setting's name and value, in a slice so that messages come in a stable order.
type named[T any] struct {
	name  string
	value T
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
