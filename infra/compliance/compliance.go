// Package compliance provides what AWS Control Tower's proactive controls require of a
// service stack beyond its constructs' own settings: a customer-managed KMS key for its log
// groups (CT.CLOUDWATCH.PR.3) and, when no topic is given, an SNS topic for its alarms
// (CT.CLOUDWATCH.PR.1), encrypted with the same key.
package compliance

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

type Props struct {
	// TopicARN is an existing alarm topic; empty creates one.
	TopicARN string
	// RetainKey keeps the key when the stack is deleted: retained log groups stay readable.
	RetainKey bool
}

type Compliance struct {
	constructs.Construct
	// Key encrypts the stack's log groups and the alarm topic it creates.
	Key awskms.Key
	// AlarmTopic receives every alarm's ALARM and OK notifications.
	AlarmTopic awssns.ITopic
}

func New(scope constructs.Construct, id string, props Props) *Compliance {
	scope = constructs.NewConstruct(scope, jsii.String(id))
	c := &Compliance{Construct: scope}
	removal := awscdk.RemovalPolicy_DESTROY
	if props.RetainKey {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	c.Key = awskms.NewKey(scope, jsii.String("LogKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the service's CloudWatch log groups and alarm topic"),
		EnableKeyRotation: jsii.Bool(true), // CT.KMS.PR.1
		RemovalPolicy:     removal,
	})
	allowLogs(c.Key)
	DenyGrantsExceptToServices(c.Key)
	if props.TopicARN != "" {
		c.AlarmTopic = awssns.Topic_FromTopicArn(scope, jsii.String("AlarmTopic"), jsii.String(props.TopicARN))
	} else {
		c.AlarmTopic = alarmTopic(scope, c.Key)
	}
	return c
}

// allowLogs is the key policy statement CloudWatch Logs needs to encrypt and decrypt the log
// groups of this account and region, and only those (the encryption context names the log
// group). Source: CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS
// KMS", step 2.
func allowLogs(key awskms.Key) {
	stack := awscdk.Stack_Of(key)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchLogs"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*stack.Region()+".amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnLike": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": "arn:" + *stack.Partition() + ":logs:" + *stack.Region() + ":" + *stack.Account() + ":log-group:*",
		}},
	}), jsii.Bool(false))
}

// DenyGrantsExceptToServices: nobody may create a grant on the key unless an AWS service
// creates it for a resource (CT.KMS.PR.3's statement, word for word in its FIX).
func DenyGrantsExceptToServices(key awskms.Key) {
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyGrantsExceptForAWSServices"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"BoolIfExists": map[string]any{
			"kms:GrantIsForAWSResource": "false",
			"aws:PrincipalIsAWSService": "false",
		}},
	}), jsii.Bool(false))
}

// alarmTopic is encrypted with key; CloudWatch alarms may use the key to publish to it
// (SNS User Guide, "Enable compatibility between event sources from AWS services and
// encrypted topics").
func alarmTopic(scope constructs.Construct, key awskms.Key) awssns.Topic {
	topic := awssns.NewTopic(scope, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("keel alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Stack_Of(key).Account()}},
	}), jsii.Bool(false))
	return topic
}
