package database

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// logTypes are the logs each engine can export; all of them are (CT.RDS.PR.14, CT.RDS.PR.25).
func logTypes(k Kind) []string {
	if k == AuroraServerlessV2 {
		return []string{"postgresql"}
	}
	return []string{"postgresql", "upgrade"}
}

// exportedLogs creates the log groups RDS exports to, under the names RDS uses
// (/aws/rds/cluster|instance/<identifier>/<log type>), so that they carry the stage's
// retention and key instead of RDS's never-expiring defaults.
func exportedLogs(scope constructs.Construct, props Props) []awslogs.LogGroup {
	level := "instance"
	if props.Kind == AuroraServerlessV2 {
		level = "cluster"
	}
	removal := awscdk.RemovalPolicy_DESTROY
	if props.RetainLogs {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	var out []awslogs.LogGroup
	for _, typ := range logTypes(props.Kind) {
		out = append(out, awslogs.NewLogGroup(scope, jsii.String("Logs"+typ), &awslogs.LogGroupProps{
			LogGroupName:  jsii.String(fmt.Sprintf("/aws/rds/%s/%s/%s", level, props.Identifier, typ)),
			Retention:     props.LogRetention,
			EncryptionKey: props.LogKey,
			RemovalPolicy: removal,
		}))
	}
	return out
}

// addCluster: Aurora PostgreSQL with Serverless v2 capacity, a writer in the first zone and,
// Multi-AZ, a reader in the second that Aurora promotes on failure.
func (d *Database) addCluster(scope constructs.Construct, props Props, subnets awsrds.CfnDBSubnetGroup) {
	params := awsrds.NewCfnDBClusterParameterGroup(scope, jsii.String("ClusterParameters"), &awsrds.CfnDBClusterParameterGroupProps{
		Family:      jsii.String("aurora-postgresql" + major(props.EngineVersion)),
		Description: jsii.String("TLS required: " + props.Identifier),
		Parameters:  forceSSL,
	})
	cl := awsrds.NewCfnDBCluster(scope, jsii.String("Cluster"), &awsrds.CfnDBClusterProps{
		DbClusterIdentifier:             jsii.String(props.Identifier),
		Engine:                          jsii.String("aurora-postgresql"),
		EngineVersion:                   jsii.String(props.EngineVersion),
		DatabaseName:                    jsii.String(props.Name),
		Port:                            jsii.Number(Port),
		DbSubnetGroupName:               subnets.Ref(),
		VpcSecurityGroupIds:             &[]any{d.SecurityGroup.SecurityGroupId()},
		DbClusterParameterGroupName:     params.Ref(),
		StorageEncrypted:                jsii.Bool(true),
		KmsKeyId:                        d.Key.KeyArn(),
		EnableIamDatabaseAuthentication: jsii.Bool(true),
		ManageMasterUserPassword:        jsii.Bool(true),
		MasterUsername:                  jsii.String(props.MasterUser),
		MasterUserSecret:                &awsrds.CfnDBCluster_MasterUserSecretProperty{KmsKeyId: d.Key.KeyArn()},
		BackupRetentionPeriod:           jsii.Number(float64(props.BackupRetentionDays)),
		DeletionProtection:              jsii.Bool(props.DeletionProtection),
		CopyTagsToSnapshot:              jsii.Bool(true),
		EnableCloudwatchLogsExports:     jsii.Strings(logTypes(props.Kind)...),
		ServerlessV2ScalingConfiguration: &awsrds.CfnDBCluster_ServerlessV2ScalingConfigurationProperty{
			MinCapacity: jsii.Number(props.MinACU),
			MaxCapacity: jsii.Number(props.MaxACU),
		},
	})
	cl.ApplyRemovalPolicy(removal(props), nil)
	d.Resource, d.Host, d.ResourceID = cl, cl.AttrEndpointAddress(), cl.AttrDbClusterResourceId()
	d.importMasterSecret(cl.AttrMasterUserSecretSecretArn())
	d.MetricDimension = "DBClusterIdentifier"
	members := 1
	if props.MultiAZ {
		members = 2
	}
	for i := range members {
		inst := awsrds.NewCfnDBInstance(scope, jsii.String(fmt.Sprintf("Instance%d", i+1)), &awsrds.CfnDBInstanceProps{
			DbInstanceIdentifier:    jsii.String(fmt.Sprintf("%s-%d", props.Identifier, i+1)),
			DbClusterIdentifier:     cl.Ref(),
			Engine:                  jsii.String("aurora-postgresql"),
			DbInstanceClass:         jsii.String("db.serverless"),
			AvailabilityZone:        jsii.String(props.Zones[i]),
			PubliclyAccessible:      jsii.Bool(false),
			AutoMinorVersionUpgrade: jsii.Bool(true),
			PromotionTier:           jsii.Number(float64(i)),
		})
		// A member's data is the cluster's: the cluster's policy takes the final snapshot.
		inst.ApplyRemovalPolicy(awscdk.RemovalPolicy_DESTROY, nil)
		d.Instances = append(d.Instances, inst)
	}
}

// addInstance: one RDS for PostgreSQL instance on gp3, Multi-AZ with a standby in another
// zone that RDS fails over to.
func (d *Database) addInstance(scope constructs.Construct, props Props, subnets awsrds.CfnDBSubnetGroup) {
	params := awsrds.NewCfnDBParameterGroup(scope, jsii.String("Parameters"), &awsrds.CfnDBParameterGroupProps{
		Family:      jsii.String("postgres" + major(props.EngineVersion)),
		Description: jsii.String("TLS required: " + props.Identifier),
		Parameters:  forceSSL,
	})
	var zone *string
	if !props.MultiAZ { // RDS picks the standby's zone; a Multi-AZ instance names none
		zone = jsii.String(props.Zones[0])
	}
	inst := awsrds.NewCfnDBInstance(scope, jsii.String("Instance"), &awsrds.CfnDBInstanceProps{
		DbInstanceIdentifier:            jsii.String(props.Identifier),
		Engine:                          jsii.String("postgres"),
		EngineVersion:                   jsii.String(props.EngineVersion),
		DbInstanceClass:                 jsii.String(props.InstanceClass),
		AllocatedStorage:                jsii.String(strconv.Itoa(props.StorageGiB)),
		StorageType:                     jsii.String("gp3"),
		MultiAz:                         jsii.Bool(props.MultiAZ),
		AvailabilityZone:                zone,
		DbName:                          jsii.String(props.Name),
		Port:                            jsii.String(strconv.Itoa(Port)),
		DbSubnetGroupName:               subnets.Ref(),
		VpcSecurityGroups:               &[]any{d.SecurityGroup.SecurityGroupId()},
		DbParameterGroupName:            params.Ref(),
		PubliclyAccessible:              jsii.Bool(false),
		StorageEncrypted:                jsii.Bool(true),
		KmsKeyId:                        d.Key.KeyArn(),
		EnableIamDatabaseAuthentication: jsii.Bool(true),
		ManageMasterUserPassword:        jsii.Bool(true),
		MasterUsername:                  jsii.String(props.MasterUser),
		MasterUserSecret:                &awsrds.CfnDBInstance_MasterUserSecretProperty{KmsKeyId: d.Key.KeyArn()},
		BackupRetentionPeriod:           jsii.Number(float64(props.BackupRetentionDays)),
		DeletionProtection:              jsii.Bool(props.DeletionProtection),
		CopyTagsToSnapshot:              jsii.Bool(true),
		EnableCloudwatchLogsExports:     jsii.Strings(logTypes(props.Kind)...),
		AutoMinorVersionUpgrade:         jsii.Bool(true),
		// The major version is a setting: raising it is the deliberate upgrade (docs/database.md).
		AllowMajorVersionUpgrade: jsii.Bool(true),
	})
	inst.ApplyRemovalPolicy(removal(props), nil)
	d.Resource, d.Host, d.ResourceID = inst, inst.AttrEndpointAddress(), inst.AttrDbiResourceId()
	d.Instances = []awscdk.CfnResource{inst}
	d.importMasterSecret(inst.AttrMasterUserSecretSecretArn())
	d.MetricDimension = "DBInstanceIdentifier"
}
