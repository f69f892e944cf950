package stage

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/keelstack/keel/infra/foundation"
	"github.com/keelstack/keel/infra/service"
	"github.com/keelstack/keel/infra/settings"
)

// exportName is a foundation output the service stack imports. Fixed names rather than the
// CDK's generated ones: the service imports them with Fn::ImportValue, so `cdk deploy` of the
// service never deploys the foundation (an administrator's stack) along with it, and
// CloudFormation refuses to delete or replace a secret while the service reads it.
func exportName(stage, what string) string { return fmt.Sprintf("%s-%s", StackName(stage), what) }

// newFoundationStack holds the stage's vault bucket, reader and secrets. An administrator
// deploys it once (make foundation); CI never deploys it.
func newFoundationStack(scope constructs.Construct, s settings.Stage) awscdk.Stack {
	names := s.FoundationNames()
	// An administrator's stack, deployed with their own credentials: the scoped execution
	// role may create neither IAM users nor their keys (stage/bootstrap.go).
	stack := adminStack(scope, "Foundation", names.Stack, s,
		fmt.Sprintf("keel %s: vault bucket, read-only vault reader, and the secrets the service reads (deployed once by an administrator)", s.Name))
	f := foundation.New(stack, "Foundation", foundation.Props{
		Stage:                 s.Name,
		Prefix:                names.Prefix,
		ConfigSecretName:      names.ConfigSecret,
		PassphraseSecretName:  names.PassphraseSecret,
		ReaderSecretName:      names.ReaderSecret,
		ReaderUserName:        names.ReaderUser,
		CustomerManagedKey:    s.Foundation.CustomerManagedKey,
		NoncurrentVersionDays: s.Foundation.NoncurrentVersionDays,
		ReaderKeySerial:       s.Foundation.ReaderKeySerial,
	})
	output(stack, "VaultBucket", f.Bucket.BucketName(), "The vault's bucket (vault publish reads it from the reader secret)")
	output(stack, "VaultPrefix", jsii.String(names.Prefix), "The stage's prefix in the vault bucket")
	output(stack, "ReaderSecretName", jsii.String(names.ReaderSecret), "The reader's key and the vault's location; never printed")
	export(stack, "ConfigSecretArn", f.Config.SecretArn(), exportName(s.Name, "vsync-config-arn"), "VSYNC_CONFIG's secret")
	export(stack, "PassphraseSecretArn", f.Passphrase.SecretArn(), exportName(s.Name, "vsync-passphrase-arn"), "VSYNC_PASSPHRASE's secret")
	if f.Key != nil {
		export(stack, "KeyArn", f.Key.KeyArn(), exportName(s.Name, "vault-key-arn"), "The key of the vault bucket and secrets")
	}
	suppressFoundationNag(f)
	return stack
}

// serviceSecrets are the secrets the service reads: the imported ARNs, or the foundation's
// complete ARNs through its exports.
func serviceSecrets(s settings.Stage) service.Secrets {
	if s.Secrets.Imported() {
		return service.Secrets{ConfigARN: s.Secrets.ConfigARN, PassphraseARN: s.Secrets.PassphraseARN, KMSKeyARN: s.Secrets.KMSKeyARN}
	}
	imp := func(what string) string { return *awscdk.Fn_ImportValue(jsii.String(exportName(s.Name, what))) }
	sec := service.Secrets{ConfigARN: imp("vsync-config-arn"), PassphraseARN: imp("vsync-passphrase-arn")}
	if s.Foundation.CustomerManagedKey {
		sec.KMSKeyARN = imp("vault-key-arn")
	}
	return sec
}

// describableSecrets are the service's secrets as the deploy role's DescribeSecret statement
// names them: the imported ARNs, or the foundation's names with "-??????", IAM's way to match
// the 6 characters Secrets Manager appends (the ARNs are unknown until the foundation exists).
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html#auth-and-access_examples_wildcard
func describableSecrets(stack awscdk.Stack, s settings.Stage) []string {
	if s.Secrets.Imported() {
		return []string{s.Secrets.ConfigARN, s.Secrets.PassphraseARN}
	}
	names := s.FoundationNames()
	arns := []string{}
	for _, name := range []string{names.ConfigSecret, names.PassphraseSecret} {
		arns = append(arns, *stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("secretsmanager"), Resource: jsii.String("secret"),
			ResourceName: jsii.String(name + "-??????"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		}))
	}
	return arns
}

func export(scope constructs.Construct, id string, value *string, name, description string) {
	awscdk.NewCfnOutput(scope, jsii.String(id), &awscdk.CfnOutputProps{Value: value, ExportName: jsii.String(name), Description: jsii.String(description)})
}

func suppressFoundationNag(f *foundation.Foundation) {
	suppress(f.Bucket, "AwsSolutions-S1",
		"No server access logs: the bucket holds only sealed bundles, unreadable without the passphrase; one IAM user reads it, confined by its own boundary, and publishing needs an administrator's credentials. keel creates no trail: to audit each read and write, add S3 data events for this bucket to the account's CloudTrail trail (docs/security.md: Least privilege).")
	for _, sec := range []constructs.IConstruct{f.Config, f.Passphrase, f.ReaderSecret} {
		suppress(sec, "AwsSolutions-SMG4",
			"Rotated by the runbooks (vault rotate-passphrase, a new reader key then make publish): a rotation Lambda cannot re-seal the vault or mint its token.")
	}
	prefixObjects := &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<FoundationVault[0-9A-F]{8}\.Arn>\/keel\/[a-z]+\/\*$/`)}
	for _, p := range []constructs.IConstruct{f.ReaderPolicy, f.ReaderBoundary} {
		cdknag.NagSuppressions_AddResourceSuppressions(p, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("The reader gets the objects under its stage's prefix only: the wildcard is the object keys below keel/<stage>/."),
			AppliesTo: &[]any{prefixObjects},
		}}, jsii.Bool(true))
	}
}
