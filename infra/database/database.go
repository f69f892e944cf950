// Package database provides a stage's managed PostgreSQL: Aurora Serverless v2 or one RDS
// instance in isolated subnets, encrypted with its own customer-managed key, TLS required,
// IAM database authentication on, the master password RDS-managed in Secrets Manager, logs
// exported to log groups with the stage's retention.
package database

import (
	"errors"
	"fmt"
	"math"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/compliance"
)

// Kind is how the database runs.
type Kind string

const (
	AuroraServerlessV2 Kind = "aurora-serverless-v2"
	Instance           Kind = "instance"
)

// Port is PostgreSQL's: the service and the dbsetup task are told it (DB_PORT).
const Port = 5432

type Props struct {
	Vpc     awsec2.IVpc
	Subnets *awsec2.SubnetSelection // isolated: no route out
	// Zones are the stage's availability zones: the writer (or single instance) in the first,
	// Aurora's reader in the second.
	Zones []string

	// Identifier names the cluster or instance (and so its log groups): keel-<stage>.
	Identifier    string
	Kind          Kind
	EngineVersion string // MAJOR.MINOR; the parameter group family follows the major
	MinACU        float64
	MaxACU        float64
	InstanceClass string
	StorageGiB    int
	MultiAZ       bool

	BackupRetentionDays int
	DeletionProtection  bool
	SnapshotOnRemoval   bool

	Name       string // the database the service uses
	MasterUser string

	LogRetention awslogs.RetentionDays
	// LogKey encrypts the exported logs (the stage's compliance key), if any.
	LogKey     awskms.IKey
	RetainLogs bool
}

var versionRE = regexp.MustCompile(`^(\d+)\.\d+$`)

func (p Props) validate() error {
	switch {
	case p.Vpc == nil || p.Subnets == nil:
		return errors.New("database: Vpc and (isolated) Subnets are required")
	case len(p.Zones) < 2:
		return errors.New("database: at least 2 availability zones are required (RDS subnet groups span two)")
	case !versionRE.MatchString(p.EngineVersion):
		return fmt.Errorf("database: EngineVersion %q is not MAJOR.MINOR", p.EngineVersion)
	case p.Identifier == "" || p.Name == "" || p.MasterUser == "":
		return errors.New("database: Identifier, Name and MasterUser are required")
	case p.BackupRetentionDays < 1 || p.BackupRetentionDays > 35:
		return errors.New("database: BackupRetentionDays must be 1 to 35 (automated backups are what point-in-time recovery restores from)")
	}
	switch p.Kind {
	case AuroraServerlessV2:
		if p.MinACU < 0.5 || p.MaxACU > 256 || p.MaxACU < p.MinACU || math.Mod(p.MinACU*2, 1) != 0 || math.Mod(p.MaxACU*2, 1) != 0 {
			return errors.New("database: Aurora Serverless v2 needs 0.5 <= MinACU <= MaxACU <= 256 in steps of 0.5")
		}
	case Instance:
		if p.InstanceClass == "" || p.StorageGiB < 20 {
			return errors.New("database: an instance needs InstanceClass and at least 20 GiB of gp3 storage")
		}
	default:
		return fmt.Errorf("database: unknown Kind %q", p.Kind)
	}
	return nil
}

// Database is the running database as the service and the operators see it.
type Database struct {
	constructs.Construct
	Kind Kind
	// Key encrypts the storage, the snapshots and the master secret.
	Key           awskms.Key
	SecurityGroup awsec2.SecurityGroup
	// Host is the endpoint the service connects to (Aurora's writer endpoint).
	Host *string
	// ResourceID is what rds-db:connect names: the cluster's or the instance's resource ID.
	ResourceID *string
	// Identifier and MetricDimension are what CloudWatch's AWS/RDS metrics are keyed by
	// (DBClusterIdentifier for Aurora, DBInstanceIdentifier for an instance): for dashboards.
	Identifier      string
	MetricDimension string
	// MasterSecret is RDS's secret of the master user (JSON keys username, password).
	MasterSecret awssecretsmanager.ISecret
	// Resource is the DBCluster or the DBInstance: what must never be replaced by accident.
	Resource awscdk.CfnResource
	// Instances serve connections (Aurora's cluster answers none before its writer exists):
	// what a client that connects at start should wait for.
	Instances []awscdk.CfnResource
	// Name is the database the service uses.
	Name string
}

func New(scope constructs.Construct, id string, props Props) *Database {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	d := &Database{Construct: c, Kind: props.Kind, Identifier: props.Identifier, Name: props.Name}
	d.Key = newKey(c, props)
	d.SecurityGroup = awsec2.NewSecurityGroup(c, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              props.Vpc,
		Description:      jsii.String("PostgreSQL 5432 from the service tasks only"),
		AllowAllOutbound: jsii.Bool(false), // a database starts no connection
	})
	subnets := awsrds.NewCfnDBSubnetGroup(c, jsii.String("Subnets"), &awsrds.CfnDBSubnetGroupProps{
		DbSubnetGroupDescription: jsii.String("Isolated subnets of " + props.Identifier),
		SubnetIds:                anys(props.Vpc.SelectSubnets(props.Subnets).SubnetIds),
	})
	logs := exportedLogs(c, props)
	if props.Kind == AuroraServerlessV2 {
		d.addCluster(c, props, subnets)
	} else {
		d.addInstance(c, props, subnets)
	}
	for _, lg := range logs { // RDS creates a missing group itself, without retention or key
		d.Resource.Node().AddDependency(lg)
	}
	return d
}

// importMasterSecret: no EncryptionKey, or the CDK would add every reader to the key policy;
// AddSetupTask grants its one reader kms:Decrypt through Secrets Manager instead.
func (d *Database) importMasterSecret(arn *string) {
	d.MasterSecret = awssecretsmanager.Secret_FromSecretAttributes(d.Construct, jsii.String("MasterSecret"), &awssecretsmanager.SecretAttributes{
		SecretCompleteArn: arn,
	})
}

// AllowFrom admits PostgreSQL connections from peer's security groups, and nothing else.
func (d *Database) AllowFrom(peer awsec2.IConnectable, description string) {
	d.SecurityGroup.Connections().AllowFrom(peer, awsec2.Port_Tcp(jsii.Number(Port)), jsii.String(description))
}

// GrantConnect lets grantee log in as exactly one database user with IAM database
// authentication: rds-db:connect on arn:aws:rds-db:REGION:ACCOUNT:dbuser:RESOURCE_ID/USER
// (RDS User Guide, "Creating and using an IAM policy for IAM database access").
func (d *Database) GrantConnect(grantee awsiam.IGrantable, user string) {
	arn := awscdk.Stack_Of(d.Construct).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("rds-db"),
		Resource:     jsii.String("dbuser"),
		ResourceName: awscdk.Fn_Join(jsii.String(""), &[]*string{d.ResourceID, jsii.String("/" + user)}),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	grantee.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("rds-db:connect"),
		Resources: &[]*string{arn},
	}))
}

// newKey is the database's own key: snapshots stay readable only while it exists, so it is
// kept when the database leaves a final snapshot.
func newKey(scope constructs.Construct, props Props) awskms.Key {
	removal := awscdk.RemovalPolicy_DESTROY
	if props.SnapshotOnRemoval {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	key := awskms.NewKey(scope, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the database " + props.Identifier + ", its snapshots and its master secret"),
		EnableKeyRotation: jsii.Bool(true), // CT.KMS.PR.1
		RemovalPolicy:     removal,
	})
	compliance.DenyGrantsExceptToServices(key)
	return key
}

// removal: a final snapshot, or none; CloudFormation applies it on delete and on replace.
func removal(props Props) awscdk.RemovalPolicy {
	if props.SnapshotOnRemoval {
		return awscdk.RemovalPolicy_SNAPSHOT
	}
	return awscdk.RemovalPolicy_DESTROY
}

func major(version string) string { return versionRE.FindStringSubmatch(version)[1] }

// forceSSL refuses connections without TLS (RDS User Guide, "Using SSL with a PostgreSQL DB
// instance": rds.force_ssl).
var forceSSL = map[string]any{"rds.force_ssl": "1"}

// anys is a string list where jsii takes strings or resource references.
func anys(ss *[]*string) *[]any {
	out := make([]any, len(*ss))
	for i, s := range *ss {
		out[i] = s
	}
	return &out
}
