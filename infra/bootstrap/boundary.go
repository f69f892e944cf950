package bootstrap

import "fmt"

// boundaryStatements: the boundary is a ceiling, not a grant (a role may do what its own
// policies allow and the boundary allows and does not deny; IAM, "Permissions boundaries for
// IAM entities"). It bounds the execution role and every role the service stack creates, so
// a role a merged template gives an inline "Allow *" can still do only this: the services in
// ceiling.go, IAM on the stage's own roles, S3 on the stage's own buckets, the stage's own
// secrets; never another stage's resources, the foundation, the bootstrap, the audit trail.
func boundaryStatements(props Props, a arns) []statement {
	return append(ceilingAllows(props, a), boundaryDenials(props, a)...)
}

// ceilingAllows is everything a role of the stage may ever be allowed.
func ceilingAllows(props Props, a arns) []statement {
	s3 := fmt.Sprintf("arn:%s:s3:::keel-%s-", a.partition, a.stage)
	out := []statement{
		allow("StageServices", ceilingActions(), []string{"*"}, nil),
		allow("StageBuckets", []string{"s3:*"}, []string{s3 + "*", s3 + "*/*"}, nil),
		allow("StageSecrets", []string{"secretsmanager:*"}, a.stageSecrets(props), nil),
		allow("BootstrapVersion", []string{"ssm:GetParameters"}, []string{a.bootstrapVersion(props.Qualifier)}, nil),
		// The task execution role pulls the image from the stage's own bootstrap repository.
		allow("PullImage", pullActions, []string{fmt.Sprintf("arn:%s:ecr:%s:%s:repository/cdk-%s-container-assets-%s-%s", a.partition, a.region, a.account, props.Qualifier, a.account, a.region)}, nil),
	}
	// IAM: anything on the stage's own roles (the denials below keep the boundary on them and
	// PassRole to the stage's services), service-linked roles of the stage's services only.
	return append(out,
		allow("OwnRoles", []string{"iam:*"}, []string{a.stageRoles()}, nil),
		allow("PassServiceRoles", []string{"iam:PassRole"}, []string{a.iam("role/aws-service-role/*")}, nil),
		allow("ServiceLinkedRoles", []string{"iam:CreateServiceLinkedRole"}, []string{a.iam("role/aws-service-role/*")},
			statement{"StringEquals": statement{"iam:AWSServiceName": props.ServiceLinkedRoles}}),
	)
}

// boundaryDenials hold whatever the allows above would let through. CloudFormation itself is
// outside the ceiling: no role of the stage may change a stack, its own included (the
// execution role is CloudFormation's, it calls no CloudFormation action).
func boundaryDenials(props Props, a arns) []statement {
	own := []string{a.stageRoles(), a.iam("role/aws-service-role/*")}
	return append([]statement{
		deny("NoRoleWithoutThisBoundary", []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary"}, []string{"*"},
			statement{"StringNotEquals": statement{"iam:PermissionsBoundary": a.boundary()}}),
		deny("PassToStageServicesOnly", []string{"iam:PassRole"}, []string{"*"},
			statement{"StringNotEquals": statement{"iam:PassedToService": props.PassRoleServices}}),
		deny("NoBoundaryRemoval", []string{"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"}, []string{"*"}, nil),
		// Users and groups (the vault reader among them), roles outside the stage
		// (OrganizationAccountAccessRole, another stage's, the bootstrap's), every policy (the
		// boundary, the execution policies) and the OIDC provider: no IAM action at all; of
		// the names the stage's roles match, the GitHub roles' neither. STS is outside the
		// ceiling: no role of the stage assumes another.
		{"Sid": "OwnPrincipalsOnly", "Effect": "Deny", "Action": []string{"iam:*"}, "NotResource": own},
		deny("ProtectedIAM", []string{"iam:*"}, []string{a.iam("role/keel-*-github-*")}, nil),
		// The bootstrap buckets and repositories of every qualifier: publishing is the
		// publishing roles' job (not bounded); a stage role that could write there could
		// plant an asset another stage's next deploy would pick up by its hash.
		deny("NoBootstrapAssets", []string{"s3:Delete*", "s3:Put*", "s3:Replicate*", "s3:RestoreObject"},
			[]string{fmt.Sprintf("arn:%s:s3:::cdk-*", a.partition), fmt.Sprintf("arn:%s:s3:::cdk-*/*", a.partition)}, nil),
		deny("NoBootstrapImages", []string{"ecr:*Delete*", "ecr:*LayerUpload", "ecr:Put*", "ecr:Set*", "ecr:UploadLayerPart"},
			[]string{fmt.Sprintf("arn:%s:ecr:%s:%s:repository/cdk-*", a.partition, a.region, a.account)}, nil),
		deny("NoAuditTampering", auditActions, []string{"*"}, nil),
		{"Sid": "OwnSecretsOnly", "Effect": "Deny", "Action": []string{"secretsmanager:*Secret*", "secretsmanager:*Resource*"},
			"NotResource": a.stageSecrets(props)},
		// keel tags every resource of a stage keel:stage=<stage> (stage.New): where stages
		// share an account, a role of one may do nothing on another's, nor tag anything as
		// another's (so a tag cannot be moved to get round this); untagged resources are
		// not covered (docs/security.md: Least privilege).
		deny("OtherStagesResources", guardedServices(), []string{"*"}, statement{
			"StringNotEquals": statement{"aws:ResourceTag/" + StageTag: props.Stage},
			"Null":            statement{"aws:ResourceTag/" + StageTag: "false"},
		}),
		deny("NoForeignStageTag", []string{"*"}, []string{"*"}, statement{
			"StringNotEquals": statement{"aws:RequestTag/" + StageTag: props.Stage},
			"Null":            statement{"aws:RequestTag/" + StageTag: "false"},
		}),
		ownRecords(props.DomainName),
		// Keys without the stage's tag (the account's own) cannot be scheduled for deletion
		// or locked away either.
		deny("OwnKeysOnly", []string{"kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"}, []string{"*"},
			statement{"StringNotEquals": statement{"aws:ResourceTag/" + StageTag: props.Stage}}),
	}, foundationDenials(props, a)...)
}

// foundationDenials keep the execution role (and so a merged template) and every role of the
// stage away from what the administrator's stacks own: the vault bucket (its policy, its
// public-access block, its objects), the reader secret (no read at all), the secrets the
// foundation creates (read only), and anything another keel stack created, by the tag
// CloudFormation itself puts on its resources (aws: tags cannot be set or removed by anyone:
// "Tagging best practices", tag naming limits). The execution policy carries them too.
func foundationDenials(props Props, a arns) []statement {
	other := statement{"Sid": "OtherKeelStacks", "Effect": "Deny", "NotAction": foundationReads, "Resource": []string{"*"}, "Condition": statement{
		"StringLike":      statement{stackNameTag: "keel-*"},
		"StringNotEquals": statement{stackNameTag: props.ServiceStack},
	}}
	f := props.Foundation
	if f.Stack == "" {
		return []statement{other}
	}
	reads := make([]string, len(f.ReadOnlySecrets))
	for i, name := range f.ReadOnlySecrets {
		reads[i] = a.secret(name + "-??????")
	}
	bucket := fmt.Sprintf("arn:%s:s3:::%s-", a.partition, f.Stack)
	out := []statement{
		deny("NoVaultBucket", []string{"s3:*"}, []string{bucket + "*", bucket + "*/*"}, nil),
		deny("NoReaderSecret", []string{"secretsmanager:*"}, []string{a.secret(f.ReaderSecret + "-??????")}, nil),
		other,
	}
	if len(reads) > 0 {
		out = append(out, statement{"Sid": "FoundationSecretsReadOnly", "Effect": "Deny", "NotAction": []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, "Resource": reads})
	}
	return out
}

// stackNameTag is the tag CloudFormation puts on the resources of a stack, naming it.
const stackNameTag = "aws:ResourceTag/aws:cloudformation:stack-name"

// stageSecrets are the secrets a stage's roles may use: its own under keel/<stage>/, the ones
// it imports, and the database's master secret, which RDS creates with the caller's
// permissions and names rds!cluster-... or rds!db-... itself (no prefix of ours is possible).
// In an account stages share, rds!* matches another stage's master secret too, where the tag
// guard (OtherStagesResources) does not hold: RDS does not copy the database's tags onto it.
func (a arns) stageSecrets(props Props) []string {
	return append([]string{a.secret("keel/" + a.stage + "/*"), a.secret("rds!*")}, props.ImportedSecretARNs...)
}

func (a arns) secret(name string) string {
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", a.partition, a.region, a.account, name)
}

func (a arns) bootstrapVersion(qualifier string) string {
	return fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/cdk-bootstrap/%s/version", a.partition, a.region, a.account, qualifier)
}

// ownRecords keeps the stage's roles to its own DNS names in a hosted zone other stages share
// (prod's keel.example.com beside staging.keel.example.com): the name and the _<hash>.<name>
// records ACM validates it with. Route 53 gives the names a change touches, lower-case without
// the final dot, as route53:ChangeResourceRecordSetsNormalizedRecordNames (Service
// Authorization Reference, Amazon Route 53).
func ownRecords(domain string) statement {
	if domain == "" {
		return deny("OwnRecordsOnly", []string{"route53:ChangeResourceRecordSets"}, []string{"*"}, nil)
	}
	return deny("OwnRecordsOnly", []string{"route53:ChangeResourceRecordSets"}, []string{"*"}, statement{
		"ForAnyValue:StringNotLike": statement{"route53:ChangeResourceRecordSetsNormalizedRecordNames": []string{domain, "_*." + domain}},
	})
}
