package stage

import (
	"fmt"
	"maps"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/database"
	"github.com/keelstack/keel/infra/network"
	"github.com/keelstack/keel/infra/service"
	"github.com/keelstack/keel/infra/settings"
)

// newDatabase adds the stage's database in the network's isolated subnets; nil when the
// stage has none.
func newDatabase(stack awscdk.Stack, s settings.Stage, net *network.Network, logKey awskms.IKey) *database.Database {
	d := s.Database
	if d == nil {
		return nil
	}
	return database.New(stack, "Database", database.Props{
		Vpc:                 net.Vpc,
		Subnets:             net.DatabaseSubnets,
		Zones:               s.AvailabilityZones,
		Identifier:          StackName(s.Name),
		Kind:                database.Kind(d.Kind),
		EngineVersion:       d.EngineVersion,
		MinACU:              d.MinACU,
		MaxACU:              d.MaxACU,
		InstanceClass:       d.InstanceClass,
		StorageGiB:          d.StorageGiB,
		MultiAZ:             d.MultiAZ,
		BackupRetentionDays: d.BackupRetentionDays,
		DeletionProtection:  d.DeletionProtection,
		SnapshotOnRemoval:   d.SnapshotOnRemoval,
		Name:                d.Name,
		MasterUser:          settings.MasterUser,
		LogRetention:        retention(s.Logs.RetentionDays),
		LogKey:              logKey,
		RetainLogs:          s.Logs.RemovalPolicy == "retain",
	})
}

// databaseSubnetIDs are the isolated subnets of an imported VPC, if the stage has a database.
func databaseSubnetIDs(s settings.Stage) []string {
	if s.Database == nil {
		return nil
	}
	return s.Database.SubnetIDs
}

// connection is what both the service and the dbsetup task are told about the database.
func connection(s settings.Stage, db *database.Database) map[string]string {
	return map[string]string{
		"DB_HOST": *db.Host,
		"DB_PORT": fmt.Sprint(database.Port),
		"DB_NAME": db.Name,
		"DB_USER": s.Database.User,
	}
}

// withDatabaseEnvironment adds the service's database settings to env: where to connect, as
// whom, and that the password is an IAM token (DB_AUTH=iam), never a stored one.
func withDatabaseEnvironment(env map[string]string, s settings.Stage, db *database.Database) map[string]string {
	if db == nil {
		return env
	}
	out := maps.Clone(env)
	maps.Copy(out, connection(s, db))
	out["DB_REGION"] = s.Region
	out["DB_AUTH"] = "iam"
	out["DB_POOL_MAX"] = fmt.Sprint(s.Database.PoolMax)
	return out
}

// wireDatabase admits the service's tasks (and so the dbsetup task, which runs with the
// service's security group), lets the task role connect as the service's user, adds the
// dbsetup task and the outputs make db-setup and an operator read.
func wireDatabase(stack awscdk.Stack, s settings.Stage, db *database.Database, svc *service.Service, net *network.Network, img Image, logs awslogs.ILogGroup) {
	if db == nil {
		return
	}
	db.AllowFrom(svc.Service, "PostgreSQL from the service tasks and the make db-setup task")
	for _, inst := range db.Instances { // tasks start once the database answers
		svc.Service.Node().AddDependency(inst)
	}
	db.GrantConnect(svc.TaskDefinition.TaskRole(), s.Database.User)
	env := map[string]*string{}
	for k, v := range connection(s, db) {
		env[k] = jsii.String(v)
	}
	setup := db.AddSetupTask(database.SetupProps{
		Image: containerImage(img, s.Task.ARM64), ARM64: s.Task.ARM64, User: containerUser, LogGroup: logs, Environment: env,
	})
	publicIP := "DISABLED"
	if net.AssignPublicIP {
		publicIP = "ENABLED"
	}
	subnets := awscdk.Fn_Join(jsii.String(","), net.Vpc.SelectSubnets(net.TaskSubnets).SubnetIds)
	group := (*svc.Service.Connections().SecurityGroups())[0].SecurityGroupId()
	output(stack, "DatabaseHost", db.Host, "The database's endpoint (TLS required; IAM authentication): docs/database.md")
	output(stack, "DatabaseIdentifier", jsii.String(db.Identifier), "The "+db.MetricDimension+" of the database (aws rds describe-db-*, CloudWatch AWS/RDS)")
	output(stack, "DbSetupTaskDefinitionArn", setup.TaskDefinitionArn(), "make db-setup runs this task once: it creates the service's database role")
	output(stack, "DbSetupNetworkConfiguration",
		awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("awsvpcConfiguration={subnets=["), subnets, jsii.String("],securityGroups=["), group, jsii.String("],assignPublicIp=" + publicIP + "}")}),
		"aws ecs run-task --network-configuration for the dbsetup task: the service's subnets and security group")
	suppressDatabaseNag(s, db, setup)
}
