package database

import (
	"errors"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// SetupProps is the one-shot task that creates the service's database role (make db-setup):
// the service's image run as `/server dbsetup`, the only task that receives the master
// credential.
type SetupProps struct {
	Image    awsecs.ContainerImage
	ARM64    bool
	User     string // uid:gid, as the service runs
	LogGroup awslogs.ILogGroup
	// Environment tells it where to connect and which role to create (DB_HOST, DB_PORT,
	// DB_NAME, DB_USER).
	Environment map[string]*string
}

// SetupCommand is what the task runs.
var SetupCommand = []string{"/server", "dbsetup"}

// AddSetupTask adds the dbsetup task definition. Its execution role reads the master secret
// (and decrypts it with the database's key, only through Secrets Manager); its task role
// holds nothing.
func (d *Database) AddSetupTask(props SetupProps) awsecs.FargateTaskDefinition {
	if props.Image == nil || props.LogGroup == nil || len(props.Environment) == 0 {
		panic(errors.New("database: the setup task needs Image, LogGroup and Environment"))
	}
	arch := awsecs.CpuArchitecture_X86_64()
	if props.ARM64 {
		arch = awsecs.CpuArchitecture_ARM64()
	}
	td := awsecs.NewFargateTaskDefinition(d.Construct, jsii.String("SetupTask"), &awsecs.FargateTaskDefinitionProps{
		Cpu:             jsii.Number(256),
		MemoryLimitMiB:  jsii.Number(512),
		RuntimePlatform: &awsecs.RuntimePlatform{CpuArchitecture: arch, OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX()},
	})
	td.AddContainer(jsii.String("dbsetup"), &awsecs.ContainerDefinitionOptions{
		Image:                  props.Image,
		Essential:              jsii.Bool(true),
		Command:                jsii.Strings(SetupCommand...),
		MemoryLimitMiB:         jsii.Number(512),
		ReadonlyRootFilesystem: jsii.Bool(true),
		User:                   jsii.String(props.User),
		Environment:            &props.Environment,
		Secrets: &map[string]awsecs.Secret{
			"DB_MASTER_USER":     awsecs.Secret_FromSecretsManager(d.MasterSecret, jsii.String("username")),
			"DB_MASTER_PASSWORD": awsecs.Secret_FromSecretsManager(d.MasterSecret, jsii.String("password")),
		},
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{StreamPrefix: jsii.String("dbsetup"), LogGroup: props.LogGroup}),
	})
	td.ObtainExecutionRole().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("kms:Decrypt"),
		Resources: &[]*string{d.Key.KeyArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("secretsmanager."), awscdk.Stack_Of(d.Construct).Region(), jsii.String(".amazonaws.com")}),
		}},
	}))
	return td
}
