package ingress

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/internal/cdkconv"
)

// accessLogBucket keeps the ALB's access logs for days. It is retained when the stack is
// deleted (a non-empty bucket would make the delete fail) and empties itself by lifecycle.
// Versioning keeps an overwritten or deleted log object for a day (CT.S3.PR.11), and object
// events go to EventBridge (CT.S3.PR.4) for whoever wants to watch the sink.
func accessLogBucket(scope constructs.Construct, days int) awss3.Bucket {
	b := awss3.NewBucket(scope, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED, // the only encryption ALB log delivery supports
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration:                  awscdk.Duration_Days(cdkconv.Int(days)),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// Set on the bucket itself: the CDK's EventBridgeEnabled goes through a Lambda-backed
	// custom resource instead, which the control does not see and which this stack does not need.
	b.Node().DefaultChild().(awss3.CfnBucket).AddPropertyOverride(jsii.String("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled"), true)
	return b
}
