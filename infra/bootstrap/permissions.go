package bootstrap

// handlerPermissions is, per resource type a service stack may hold, the IAM actions that
// CloudFormation's create, update and delete handlers call: copied from the resource schemas
// (handlers.create|update|delete.permissions) shipped in github.com/aws-cloudformation/rain
// v1.24.4, internal/aws/cfn/schemas/aws/<service>/<type>.json. test/infra's coverage test
// reads those files and fails, naming the type, when a synthesized template holds a type or a
// permission this table lacks.
//
// Names in the schemas that are S3 API operations, not IAM actions, are replaced by the IAM
// action that authorizes the operation (Amazon S3 API reference, each operation's
// "Permissions"; IAM rejects the others, cfn-lint W3037): DeleteBucketCors by PutBucketCORS,
// DeleteBucketEncryption by PutEncryptionConfiguration, DeleteBucketLifecycle by
// PutLifecycleConfiguration, DeleteBucketAnalyticsConfiguration by PutAnalyticsConfiguration,
// DeleteBucketMetricsConfiguration by PutMetricsConfiguration, DeleteBucketReplication and
// PutBucketReplication by PutReplicationConfiguration, PutObjectLockConfiguration by
// PutBucketObjectLockConfiguration. The coverage test maps them the same way.
//
// Left out on purpose (the coverage test lists each with its reason): the IAM user and group
// actions of AWS::IAM::Policy, iam:DeleteRolePermissionsBoundary of AWS::IAM::Role, and
// "s3:REST.PUT.OBJECT" of AWS::Logs::LogGroup (an S3 operation name, not an IAM action).
//
// Pre-added for types arriving on other branches (HTTPS and DNS, the customer-managed key,
// the alarm topic, blue/green listener rules and target groups, metric-math alarms):
// ACM, Route 53, KMS, SNS, ListenerRule, and ClusterCapacityProviderAssociations (Fargate
// Spot). A type no template holds costs nothing but these lines.
func handlerPermissions() map[string][]string {
	return map[string][]string{
		"AWS::ApplicationAutoScaling::ScalableTarget":   {"application-autoscaling:DeleteScheduledAction", "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScheduledActions", "application-autoscaling:PutScheduledAction", "application-autoscaling:RegisterScalableTarget", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "iam:CreateServiceLinkedRole", "iam:PassRole", "lambda:DeleteProvisionedConcurrencyConfig", "lambda:GetProvisionedConcurrencyConfig", "lambda:PutProvisionedConcurrencyConfig"},
		"AWS::ApplicationAutoScaling::ScalingPolicy":    {"application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DescribeScalingPolicies", "application-autoscaling:PutScalingPolicy", "cloudwatch:GetMetricData"},
		"AWS::CloudWatch::Alarm":                        {"cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"},
		"AWS::CloudWatch::Dashboard":                    {"cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard"},
		"AWS::EC2::EIP":                                 {"ec2:AcceptAddressTransfer", "ec2:AllocateAddress", "ec2:AssociateAddress", "ec2:CreateTags", "ec2:DeleteTags", "ec2:DescribeAddresses", "ec2:DisassociateAddress", "ec2:ReleaseAddress"},
		"AWS::EC2::FlowLog":                             {"ec2:CreateFlowLogs", "ec2:CreateTags", "ec2:DeleteFlowLogs", "ec2:DeleteTags", "ec2:DescribeFlowLogs", "iam:PassRole", "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "s3:GetBucketPolicy", "s3:PutBucketPolicy"},
		"AWS::EC2::InternetGateway":                     {"ec2:CreateInternetGateway", "ec2:CreateTags", "ec2:DeleteInternetGateway", "ec2:DeleteTags", "ec2:DescribeInternetGateways"},
		"AWS::EC2::NatGateway":                          {"ec2:AssignPrivateNatGatewayAddress", "ec2:AssociateNatGatewayAddress", "ec2:CreateNatGateway", "ec2:CreateTags", "ec2:DeleteNatGateway", "ec2:DeleteTags", "ec2:DescribeNatGateways", "ec2:DisassociateNatGatewayAddress", "ec2:UnassignPrivateNatGatewayAddress"},
		"AWS::EC2::Route":                               {"ec2:CreateRoute", "ec2:DeleteRoute", "ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables", "ec2:ReplaceRoute"},
		"AWS::EC2::RouteTable":                          {"ec2:CreateRouteTable", "ec2:CreateTags", "ec2:DeleteRouteTable", "ec2:DeleteTags", "ec2:DescribeRouteTables"},
		"AWS::EC2::SecurityGroup":                       {"ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:DeleteSecurityGroup", "ec2:DeleteTags", "ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress"},
		"AWS::EC2::SecurityGroupEgress":                 {"ec2:AuthorizeSecurityGroupEgress", "ec2:DescribeSecurityGroupRules", "ec2:RevokeSecurityGroupEgress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress"},
		"AWS::EC2::SecurityGroupIngress":                {"ec2:AuthorizeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules", "ec2:RevokeSecurityGroupIngress", "ec2:UpdateSecurityGroupRuleDescriptionsIngress"},
		"AWS::EC2::Subnet":                              {"ec2:AssociateSubnetCidrBlock", "ec2:CreateSubnet", "ec2:CreateTags", "ec2:DeleteSubnet", "ec2:DeleteTags", "ec2:DescribeSubnets", "ec2:DisassociateSubnetCidrBlock", "ec2:ModifySubnetAttribute"},
		"AWS::EC2::SubnetRouteTableAssociation":         {"ec2:AssociateRouteTable", "ec2:DescribeRouteTables", "ec2:DescribeSubnets", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation"},
		"AWS::EC2::VPC":                                 {"ec2:CreateTags", "ec2:CreateVpc", "ec2:DeleteTags", "ec2:DeleteVpc", "ec2:DescribeVpcs", "ec2:ModifyVpcAttribute", "ec2:ModifyVpcTenancy"},
		"AWS::EC2::VPCGatewayAttachment":                {"ec2:AttachInternetGateway", "ec2:AttachVpnGateway", "ec2:DescribeInternetGateways", "ec2:DescribeVpnGateways", "ec2:DetachInternetGateway", "ec2:DetachVpnGateway"},
		"AWS::ECS::Cluster":                             {"ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:ListTagsForResource", "ecs:PutAccountSetting", "ecs:PutAccountSettingDefault", "ecs:PutClusterCapacityProviders", "ecs:TagResource", "ecs:UntagResource", "ecs:UpdateCluster", "ecs:UpdateClusterSettings", "iam:CreateServiceLinkedRole", "kms:DescribeKey"},
		"AWS::ECS::Service":                             {"ecs:CreateService", "ecs:DeleteService", "ecs:DescribeServices", "ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource", "ecs:UpdateService", "iam:PassRole"},
		"AWS::ECS::TaskDefinition":                      {"ecs:DeregisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:ListTagsForResource", "ecs:RegisterTaskDefinition", "ecs:TagResource", "ecs:UntagResource", "iam:GetRole", "iam:PassRole"},
		"AWS::ElasticLoadBalancingV2::Listener":         {"cognito-idp:DescribeUserPoolClient", "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyListenerAttributes"},
		"AWS::ElasticLoadBalancingV2::LoadBalancer":     {"ec2:DescribeIpamPools", "elasticloadbalancing:AddTags", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools", "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:RemoveTags", "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets"},
		"AWS::ElasticLoadBalancingV2::TargetGroup":      {"elasticloadbalancing:AddTags", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:RemoveTags"},
		"AWS::ElasticLoadBalancingV2::ListenerRule":     {"cognito-idp:DescribeUserPoolClient", "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"},
		"AWS::IAM::Policy":                              {"iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy"},
		"AWS::IAM::Role":                                {"iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"},
		"AWS::Logs::LogGroup":                           {"firehose:TagDeliveryStream", "logs:AssociateKmsKey", "logs:CreateLogDelivery", "logs:CreateLogGroup", "logs:DeleteDataProtectionPolicy", "logs:DeleteIndexPolicy", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy", "logs:DescribeIndexPolicies", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:DisassociateKmsKey", "logs:GetDataProtectionPolicy", "logs:ListTagsForResource", "logs:PutDataProtectionPolicy", "logs:PutIndexPolicy", "logs:PutResourcePolicy", "logs:PutRetentionPolicy", "logs:TagResource", "logs:UntagResource"},
		"AWS::S3::Bucket":                               {"iam:PassRole", "s3:CreateBucket", "s3:CreateBucketMetadataTableConfiguration", "s3:DeleteBucket", "s3:DeleteBucketMetadataTableConfiguration", "s3:DeleteBucketWebsite", "s3:DeleteObject", "s3:GetBucketAcl", "s3:GetBucketMetadataTableConfiguration", "s3:ListBucket", "s3:PutAccelerateConfiguration", "s3:PutAnalyticsConfiguration", "s3:PutBucketAcl", "s3:PutBucketCORS", "s3:PutBucketLogging", "s3:PutBucketNotification", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketOwnershipControls", "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging", "s3:PutBucketVersioning", "s3:PutBucketWebsite", "s3:PutEncryptionConfiguration", "s3:PutIntelligentTieringConfiguration", "s3:PutInventoryConfiguration", "s3:PutLifecycleConfiguration", "s3:PutMetricsConfiguration", "s3:PutObjectAcl", "s3:PutReplicationConfiguration", "s3tables:CreateNamespace", "s3tables:CreateTable", "s3tables:GetTable", "s3tables:GetTableMetadataLocation", "s3tables:PutTablePolicy", "s3tables:UpdateTableMetadataLocation"},
		"AWS::S3::BucketPolicy":                         {"s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy"},
		"AWS::KMS::Key":                                 {"kms:CreateKey", "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription"},
		"AWS::KMS::Alias":                               {"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"},
		"AWS::SNS::Topic":                               {"iam:GetRole", "iam:PassRole", "sns:CreateTopic", "sns:DeleteTopic", "sns:GetDataProtectionPolicy", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:PutDataProtectionPolicy", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:Unsubscribe", "sns:UntagResource"},
		"AWS::SNS::TopicPolicy":                         {"sns:SetTopicAttributes"},
		"AWS::SecretsManager::Secret":                   {"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret", "secretsmanager:GetRandomPassword", "secretsmanager:GetSecretValue", "secretsmanager:RemoveRegionsFromReplication", "secretsmanager:ReplicateSecretToRegions", "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:UpdateSecret"},
		"AWS::ECS::ClusterCapacityProviderAssociations": {"ecs:DescribeCapacityProviders", "ecs:DescribeClusters", "ecs:PutClusterCapacityProviders"},
		// The database (infra/database). iam:ListRoles of DBInstance's schema is left out (the
		// coverage test refuses it: it takes no resource, and keel passes RDS no role). RDS
		// creates the master secret (rds!...) and encrypts it with the database's key on the
		// caller's behalf: the secret's create actions get their own statement
		// (secretStatements), and kms:Decrypt and kms:GenerateDataKey are what Secrets Manager
		// asks of a caller for a customer-managed key (Secrets Manager User Guide, "Secret
		// encryption and decryption").
		"AWS::RDS::DBCluster":               {"ec2:DescribeSecurityGroups", "iam:CreateServiceLinkedRole", "iam:PassRole", "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "rds:AddRoleToDBCluster", "rds:AddTagsToResource", "rds:CreateDBCluster", "rds:CreateDBClusterSnapshot", "rds:CreateDBInstance", "rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusters", "rds:DescribeDBSnapshots", "rds:DescribeDBSubnetGroups", "rds:DescribeEvents", "rds:DescribeGlobalClusters", "rds:DisableHttpEndpoint", "rds:EnableHttpEndpoint", "rds:ModifyDBCluster", "rds:ModifyDBInstance", "rds:RemoveFromGlobalCluster", "rds:RemoveRoleFromDBCluster", "rds:RemoveTagsFromResource", "rds:RestoreDBClusterFromSnapshot", "rds:RestoreDBClusterToPointInTime", "secretsmanager:CreateSecret", "secretsmanager:TagResource"},
		"AWS::RDS::DBInstance":              {"ec2:DescribeAccountAttributes", "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcAttribute", "ec2:DescribeVpcs", "iam:CreateServiceLinkedRole", "iam:GetRole", "iam:PassRole", "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "rds:AddRoleToDBInstance", "rds:AddTagsToResource", "rds:CreateDBInstance", "rds:CreateDBInstanceReadReplica", "rds:CreateDBSnapshot", "rds:DeleteDBInstance", "rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusters", "rds:DescribeDBEngineVersions", "rds:DescribeDBInstanceAutomatedBackups", "rds:DescribeDBInstances", "rds:DescribeDBParameterGroups", "rds:DescribeDBSnapshots", "rds:DescribeEvents", "rds:ModifyDBInstance", "rds:PromoteReadReplica", "rds:RebootDBInstance", "rds:RemoveRoleFromDBInstance", "rds:RemoveTagsFromResource", "rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBInstanceToPointInTime", "rds:StartDBInstanceAutomatedBackupsReplication", "rds:StopDBInstanceAutomatedBackupsReplication", "secretsmanager:CreateSecret", "secretsmanager:TagResource"},
		"AWS::RDS::DBSubnetGroup":           {"iam:CreateServiceLinkedRole", "rds:AddTagsToResource", "rds:CreateDBSubnetGroup", "rds:DeleteDBSubnetGroup", "rds:DescribeDBSubnetGroups", "rds:ListTagsForResource", "rds:ModifyDBSubnetGroup", "rds:RemoveTagsFromResource"},
		"AWS::RDS::DBClusterParameterGroup": {"iam:CreateServiceLinkedRole", "rds:AddTagsToResource", "rds:CreateDBClusterParameterGroup", "rds:DeleteDBClusterParameterGroup", "rds:DescribeDBClusterParameterGroups", "rds:DescribeDBClusterParameters", "rds:DescribeDBClusters", "rds:DescribeEngineDefaultClusterParameters", "rds:ListTagsForResource", "rds:ModifyDBClusterParameterGroup", "rds:RemoveTagsFromResource", "rds:ResetDBClusterParameterGroup"},
		"AWS::RDS::DBParameterGroup":        {"iam:CreateServiceLinkedRole", "rds:AddTagsToResource", "rds:CreateDBParameterGroup", "rds:DeleteDBParameterGroup", "rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", "rds:DescribeEngineDefaultParameters", "rds:ListTagsForResource", "rds:ModifyDBParameterGroup", "rds:RemoveTagsFromResource", "rds:ResetDBParameterGroup"},
		// WAF (infra/waf): the association's actions for an ALB only, the logging's for a
		// CloudWatch Logs destination only (test/infra's refused list says why of the rest).
		"AWS::WAFv2::WebACL":               {"wafv2:CreateWebACL", "wafv2:DeleteWebACL", "wafv2:GetWebACL", "wafv2:ListTagsForResource", "wafv2:TagResource", "wafv2:UntagResource", "wafv2:UpdateWebACL"},
		"AWS::WAFv2::WebACLAssociation":    {"elasticloadbalancing:SetWebACL", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource"},
		"AWS::WAFv2::LoggingConfiguration": {"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:PutResourcePolicy", "wafv2:DeleteLoggingConfiguration", "wafv2:GetLoggingConfiguration", "wafv2:PutLoggingConfiguration"},
		// No handlers in their schemas (CloudFormation still provisions them with its legacy
		// handlers): the actions come from the services' API references for the calls
		// CloudFormation makes (RequestCertificate and DNS validation records; record changes
		// and the zone lookup by name).
		"AWS::CertificateManager::Certificate": {"acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:DescribeCertificate", "acm:ListTagsForCertificate", "acm:RemoveTagsFromCertificate", "acm:RequestCertificate", "acm:UpdateCertificateOptions", "route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets"},
		"AWS::Route53::RecordSet":              {"route53:ChangeResourceRecordSets", "route53:GetChange", "route53:GetHostedZone", "route53:ListHostedZones", "route53:ListHostedZonesByName", "route53:ListResourceRecordSets"},
	}
}
