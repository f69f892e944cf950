// Package settings holds the typed per-stage configuration of the CDK app: Go defaults for
// each stage, overridden from cdk.json context ("keel:<stage>"), validated before any
// construct is built. It imports no CDK package, so its rules are cheap to test.
package settings

// Stage is everything that differs between dev, staging and prod. JSON names are the names
// used in cdk.json overrides and in every validation message.
type Stage struct {
	Name string `json:"-"`

	Account           string   `json:"account"`
	Region            string   `json:"region"`
	AvailabilityZones []string `json:"availabilityZones"` // explicit, so that synth needs no AZ lookup

	Network Network `json:"network"`
	Secrets Secrets `json:"secrets"`
	// CertificateARN turns on HTTPS (and the HTTP->HTTPS redirect) when set.
	CertificateARN string `json:"certificateArn"`
	HTTPS          HTTPS  `json:"https"`

	Compliance Compliance `json:"compliance"`

	Task        Task        `json:"task"`
	Scaling     Scaling     `json:"scaling"`
	HealthCheck HealthCheck `json:"healthCheck"`
	Drain       Drain       `json:"drain"`
	App         App         `json:"app"`
	Logs        Logs        `json:"logs"`
	Alarms      Alarms      `json:"alarms"`
	Deployment  Deployment  `json:"deployment"`
	Admission   Admission   `json:"admission"`
	WAF         WAF         `json:"waf"`
	Telemetry   Telemetry   `json:"telemetry"`

	// Protect turns on stack termination protection and ALB deletion protection.
	Protect bool `json:"protect"`

	GitHub GitHub `json:"github"`

	Foundation Foundation `json:"foundation"`
	Bootstrap  Bootstrap  `json:"bootstrap"`

	// SharedAccountWithStages lets prod share its account with another stage (isolation.go).
	SharedAccountWithStages bool `json:"sharedAccountWithStages"`

	// Database is the stage's managed PostgreSQL; nil means none (see database.go).
	Database *Database `json:"database"`
}

// Bootstrap is the stage's CDK bootstrap (make bootstrap STAGE=<stage>): its own qualifier, so
// that stages sharing an account share no bootstrap roles, bucket or repository.
type Bootstrap struct {
	// Qualifier names the bootstrap resources (cdk-<qualifier>-deploy-role-...) and the
	// toolkit stack (CDKToolkit-<qualifier>); 1 to 10 lowercase letters and digits.
	Qualifier string `json:"qualifier"`
}

// GitHub is what the stage's GitHub Actions roles trust.
type GitHub struct {
	// Repository is owner/name; its pull requests may diff, its <stage> environment deploy.
	Repository string `json:"repository"`
	// OIDCProviderARN imports the account's GitHub OIDC provider; empty creates it (one per
	// account, retained when its stack is deleted).
	OIDCProviderARN string `json:"oidcProviderArn"`
}

// Network is a new VPC (VpcID empty) or an imported one, named by IDs (no lookup at synth).
type Network struct {
	VpcID            string   `json:"vpcId"`
	PublicSubnetIDs  []string `json:"publicSubnetIds"`
	PrivateSubnetIDs []string `json:"privateSubnetIds"`
	// NatGateways is the NAT count of a new VPC.
	NatGateways int `json:"natGateways"`
	// PublicTasks runs tasks in public subnets with public IPs (dev, to need no NAT).
	PublicTasks bool `json:"publicTasks"`
}

// Secrets imports the two secrets the task reads at start by complete ARN, with the
// customer-managed KMS key that encrypts them, if any. Left empty (the default), the stage's
// foundation stack creates them and the service takes their ARNs from it.
type Secrets struct {
	ConfigARN     string `json:"configArn"`
	PassphraseARN string `json:"passphraseArn"`
	KMSKeyARN     string `json:"kmsKeyArn"`
	// ConfigName and PassphraseName are the secrets' names, needed only when an ARN's last
	// 6 characters are all lowercase letters: then synth cannot tell Secrets Manager's random
	// suffix from a name ending in a word (keel/prod/vsync-config) without them.
	ConfigName     string `json:"configName"`
	PassphraseName string `json:"passphraseName"`
}

// Imported reports whether the stage brings its own secrets instead of the foundation's.
func (s Secrets) Imported() bool { return s.ConfigARN != "" || s.PassphraseARN != "" }

// Foundation is the stage's stack keel-<stage>-foundation, deployed once by an administrator
// (make foundation): the vault bucket, the read-only reader and its key, the two secrets the
// service reads. Only stages that do not import their secrets have it.
type Foundation struct {
	// CustomerManagedKey creates a KMS key (with rotation) for the bucket and the secrets;
	// otherwise the AWS managed keys encrypt them.
	CustomerManagedKey bool `json:"customerManagedKey"`
	// NoncurrentVersionDays keeps replaced or deleted vault objects this long, to undo a push.
	NoncurrentVersionDays int `json:"noncurrentVersionDays"`
	// ReaderKeySerial: raising it replaces the reader's access key and the reader secret
	// with it, in one update (make rotate-reader-key); 0 leaves the key as first created.
	ReaderKeySerial int `json:"readerKeySerial"`
}

type Task struct {
	CPU               int  `json:"cpu"`       // CPU units (256 = 0.25 vCPU)
	MemoryMiB         int  `json:"memoryMiB"` // must pair with CPU as Fargate offers
	ARM64             bool `json:"arm64"`
	Spot              bool `json:"spot"`
	ECSExec           bool `json:"ecsExec"`
	ContainerInsights bool `json:"containerInsights"`
}

// Scaling bounds the task count. There is no desired count in the template: CloudFormation
// would reset a scaled-out service to it on every deploy. The service starts at MinTasks.
type Scaling struct {
	MinTasks          int `json:"minTasks"`
	MaxTasks          int `json:"maxTasks"`
	CPUPercent        int `json:"cpuPercent"`
	MemoryPercent     int `json:"memoryPercent"`
	RequestsPerTarget int `json:"requestsPerTarget"` // per task per minute; 0 derives it (capacity.go)
	// Cooldowns of every target tracking policy (overload.go has the defaults' reasons).
	ScaleOutCooldownSeconds int `json:"scaleOutCooldownSeconds"`
	ScaleInCooldownSeconds  int `json:"scaleInCooldownSeconds"`
}

// HealthCheck is the ALB target group's check of /healthz and ECS's grace period.
type HealthCheck struct {
	IntervalSeconds    int `json:"intervalSeconds"`
	TimeoutSeconds     int `json:"timeoutSeconds"`
	HealthyThreshold   int `json:"healthyThreshold"`
	UnhealthyThreshold int `json:"unhealthyThreshold"`
	GracePeriodSeconds int `json:"gracePeriodSeconds"`
}

// Drain is the stop sequence: the ALB drains the target for DeregistrationDelaySeconds, then
// ECS sends SIGTERM, the app drains in-flight requests within ShutdownBudgetSeconds, and ECS
// sends SIGKILL at StopTimeoutSeconds.
type Drain struct {
	DeregistrationDelaySeconds int `json:"deregistrationDelaySeconds"`
	StopTimeoutSeconds         int `json:"stopTimeoutSeconds"`
	ShutdownBudgetSeconds      int `json:"shutdownBudgetSeconds"`
}

// App is what the container is told through its (non-secret) environment.
type App struct {
	Port                     int    `json:"port"`
	BootTimeoutSeconds       int    `json:"bootTimeoutSeconds"`
	FreshnessIntervalSeconds int    `json:"freshnessIntervalSeconds"`
	LogLevel                 string `json:"logLevel"`
}

type Logs struct {
	RetentionDays int    `json:"retentionDays"`
	RemovalPolicy string `json:"removalPolicy"` // "retain" or "destroy"
}

// Alarms sets thresholds; TopicARN, when set, receives alarm and OK notifications.
type Alarms struct {
	TopicARN           string `json:"topicArn"`
	Target5xxPerMinute int    `json:"target5xxPerMinute"`
	ELB5xxPerMinute    int    `json:"elb5xxPerMinute"`
	CPUPercent         int    `json:"cpuPercent"`
	MemoryPercent      int    `json:"memoryPercent"`
	EvaluationMinutes  int    `json:"evaluationMinutes"`
}

// Names lists the stages in deploy order.
var Names = []string{"dev", "staging", "prod"}
