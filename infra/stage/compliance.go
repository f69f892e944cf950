package stage

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/compliance"
	"github.com/keelstack/keel/infra/settings"
)

// compliancePieces adds the log key and alarm topic of the Control Tower profile; nil when
// the stage runs without it.
func compliancePieces(scope constructs.Construct, s settings.Stage) *compliance.Compliance {
	if !s.ControlTower() {
		return nil
	}
	return compliance.New(scope, "Compliance", compliance.Props{TopicARN: s.Alarms.TopicARN, RetainKey: s.Logs.RemovalPolicy == "retain"})
}

// alarmTopic is the profile's topic, or the stage's alarms.topicArn, or none.
func alarmTopic(scope constructs.Construct, s settings.Stage, c *compliance.Compliance) awssns.ITopic {
	switch {
	case c != nil:
		return c.AlarmTopic
	case s.Alarms.TopicARN != "":
		return awssns.Topic_FromTopicArn(scope, jsii.String("AlarmTopic"), jsii.String(s.Alarms.TopicARN))
	}
	return nil
}
