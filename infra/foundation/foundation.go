// Package foundation provides what a stage's service needs before its first deploy, created
// once by an administrator: the vault bucket, a reader that may read the stage's prefix and
// nothing else (its key kept only in a secret), and the two secrets the service reads,
// created with a generated placeholder that `vault publish` replaces.
package foundation

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// PlaceholderTag marks the secrets created with a placeholder: together with their version
// count it tells the deploy check, from metadata alone, that nothing was published yet.
const PlaceholderTag, PlaceholderTagValue = "keel:initial-value", "placeholder"

type Props struct {
	// Stage appears in descriptions.
	Stage string
	// Prefix is the stage's key prefix in the bucket, ending in /.
	Prefix string
	// ConfigSecretName, PassphraseSecretName and ReaderSecretName name the secrets;
	// ReaderUserName the IAM user.
	ConfigSecretName, PassphraseSecretName, ReaderSecretName, ReaderUserName string
	// CustomerManagedKey creates a KMS key (rotated yearly) for the bucket and the secrets.
	CustomerManagedKey bool
	// NoncurrentVersionDays keeps replaced or deleted objects this long.
	NoncurrentVersionDays int
	// ReaderKeySerial is the reader key's Serial: a change replaces the key, and the reader
	// secret takes the new one in the same update. 0 sets none.
	ReaderKeySerial int
}

func (p Props) validate() error {
	switch {
	case p.Stage == "" || p.ConfigSecretName == "" || p.PassphraseSecretName == "" || p.ReaderSecretName == "" || p.ReaderUserName == "":
		return errors.New("foundation: Stage and the secret and user names are required")
	case !strings.HasSuffix(p.Prefix, "/") || strings.HasPrefix(p.Prefix, "/"):
		return errors.New("foundation: Prefix must end in / and not start with it")
	case p.NoncurrentVersionDays < 1:
		return errors.New("foundation: NoncurrentVersionDays must be at least 1")
	case p.ReaderKeySerial < 0:
		return errors.New("foundation: ReaderKeySerial must be 0 or more")
	}
	return nil
}

type Foundation struct {
	constructs.Construct
	Bucket awss3.Bucket
	// Key is the customer-managed key, or nil.
	Key          awskms.Key
	Reader       awsiam.User
	ReaderPolicy awsiam.Policy
	// ReaderBoundary is the reader's permissions boundary: the same grants as its policy.
	ReaderBoundary     awsiam.ManagedPolicy
	ReaderSecret       awssecretsmanager.Secret
	Config, Passphrase awssecretsmanager.Secret
}

// New creates the foundation. Everything stateful is retained when the stack is deleted: a
// vault, its passphrase and its token outlive any one deployment of them.
func New(scope constructs.Construct, id string, props Props) *Foundation {
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	f := &Foundation{Construct: c}
	if props.CustomerManagedKey {
		f.Key = awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
			Description:       jsii.String(fmt.Sprintf("keel %s: the vault bucket and the vault secrets", props.Stage)),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		})
	}
	f.Bucket = newBucket(c, f.Key, props.NoncurrentVersionDays)
	f.Reader, f.ReaderPolicy, f.ReaderBoundary = newReader(c, props.ReaderUserName, f.Bucket, props.Prefix, f.Key)
	f.ReaderSecret = newReaderSecret(c, props, f)
	f.Config = placeholderSecret(c, "Config", props.ConfigSecretName, f.Key,
		fmt.Sprintf("keel %s: VSYNC_CONFIG, the token that locates the vault (a placeholder until make publish)", props.Stage))
	f.Passphrase = placeholderSecret(c, "Passphrase", props.PassphraseSecretName, f.Key,
		fmt.Sprintf("keel %s: VSYNC_PASSPHRASE, the vault's passphrase (a placeholder until the first make publish generates it)", props.Stage))
	return f
}

// newBucket: private, TLS 1.2+ only, versioned so that a bad push can be undone by restoring
// the previous objects, which expire after days.
func newBucket(scope constructs.Construct, key awskms.Key, days int) awss3.Bucket {
	props := &awss3.BucketProps{
		Versioned:         jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-replaced-versions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(float64(days))),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			ExpiredObjectDeleteMarker:           jsii.Bool(true),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	}
	if key != nil {
		props.Encryption, props.EncryptionKey, props.BucketKeyEnabled = awss3.BucketEncryption_KMS, key, jsii.Bool(true)
	}
	return awss3.NewBucket(scope, jsii.String("Vault"), props)
}

// newReader is the IAM user whose key the token carries: it may get the objects under prefix
// and list that prefix (so that an unpublished vault answers 404, "publish first", rather
// than 403), and decrypt them through S3 when a customer-managed key encrypts the bucket.
// Nothing else: no write, no other prefix, no other bucket.
//
// The same statements are the user's permissions boundary: a policy anyone later attaches to
// the user (by mistake, or through a role that may write user policies) grants nothing more,
// so the long-lived key stays a read-only key for one prefix. No network condition limits
// where the key may be used: the tasks that use it reach S3 from public IPs that change with
// every task (or through NAT gateways the service stack creates after this stack, and may
// replace), and the key also serves `vault verify` from an operator's machine.
func newReader(scope constructs.Construct, userName string, bucket awss3.Bucket, prefix string, key awskms.Key) (awsiam.User, awsiam.Policy, awsiam.ManagedPolicy) {
	boundary := awsiam.NewManagedPolicy(scope, jsii.String("ReaderBoundary"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(userName + "-boundary"),
		Description:       jsii.String("The ceiling of the vault reader: get and list its stage's prefix, nothing else"),
		Statements:        readerStatements(scope, bucket, prefix, key),
	})
	user := awsiam.NewUser(scope, jsii.String("Reader"), &awsiam.UserProps{UserName: jsii.String(userName), PermissionsBoundary: boundary})
	policy := awsiam.NewPolicy(scope, jsii.String("ReaderPolicy"), &awsiam.PolicyProps{
		PolicyName: jsii.String("read-vault"),
		Statements: readerStatements(scope, bucket, prefix, key),
		Users:      &[]awsiam.IUser{user},
	})
	return user, policy, boundary
}

// readerStatements: get the objects under prefix, list the prefix, decrypt through S3.
func readerStatements(scope constructs.Construct, bucket awss3.Bucket, prefix string, key awskms.Key) *[]awsiam.PolicyStatement {
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("s3:GetObject"),
			Resources: &[]*string{bucket.ArnForObjects(jsii.String(prefix + "*"))},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:    jsii.Strings("s3:ListBucket"),
			Resources:  &[]*string{bucket.BucketArn()},
			Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": prefix + "*"}},
		}),
	}
	if key != nil {
		region := awscdk.Stack_Of(scope).Region()
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{key.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3."), region, jsii.String(".amazonaws.com")}),
			}},
		}))
	}
	return &statements
}

// newReaderSecret holds the reader's access key and where the vault is. CloudFormation puts
// the key's SecretAccessKey attribute into the secret itself: the template carries only the
// Fn::GetAtt, and the key appears in no output, no log and no terminal.
func newReaderSecret(scope constructs.Construct, props Props, f *Foundation) awssecretsmanager.Secret {
	keyProps := &awsiam.AccessKeyProps{User: f.Reader}
	if props.ReaderKeySerial > 0 {
		keyProps.Serial = jsii.Number(float64(props.ReaderKeySerial))
	}
	key := awsiam.NewAccessKey(scope, jsii.String("ReaderKey"), keyProps)
	plain := func(s *string) awscdk.SecretValue { return awscdk.SecretValue_UnsafePlainText(s) }
	return awssecretsmanager.NewSecret(scope, jsii.String("ReaderSecret"), &awssecretsmanager.SecretProps{
		SecretName:    jsii.String(props.ReaderSecretName),
		Description:   jsii.String(fmt.Sprintf("keel %s: the vault reader's access key, bucket, prefix and region (vault publish mints the token from it)", props.Stage)),
		EncryptionKey: f.Key,
		SecretObjectValue: &map[string]awscdk.SecretValue{
			"accessKeyId":     plain(key.AccessKeyId()),
			"secretAccessKey": key.SecretAccessKey(),
			"bucket":          plain(f.Bucket.BucketName()),
			"prefix":          plain(jsii.String(props.Prefix)),
			"region":          plain(awscdk.Stack_Of(scope).Region()),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY, // the key dies with the user; nothing to keep
	})
}

// placeholderSecret is created with a random value that no reader accepts, and tagged, so
// that the deploy refuses until `vault publish` replaces it. Its generator settings must
// never change: CloudFormation would generate a new value over the published one.
func placeholderSecret(scope constructs.Construct, id, name string, key awskms.Key, description string) awssecretsmanager.Secret {
	s := awssecretsmanager.NewSecret(scope, jsii.String(id), &awssecretsmanager.SecretProps{
		SecretName:    jsii.String(name),
		Description:   jsii.String(description),
		EncryptionKey: key,
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(32),
			ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	awscdk.Tags_Of(s).Add(jsii.String(PlaceholderTag), jsii.String(PlaceholderTagValue), nil)
	return s
}
