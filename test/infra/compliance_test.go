package infra

import (
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// TestCompliancePieces: under the control-tower profile the log groups use a rotated
// customer-managed key whose policy lets CloudWatch Logs of this account and region use it and
// denies grants to anything but AWS services, and every alarm notifies a created topic.
// Without it there is no key. Every stage: container memory limits, no auto-assigned public IPs.
func TestCompliancePieces(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		for id, sn := range tp.resources("AWS::EC2::Subnet") {
			if get(sn, "Properties", "MapPublicIpOnLaunch") != false {
				t.Errorf("%s assigns public IPs on launch", id)
			}
		}
		if got, want := get(tp.props(t, "AWS::ECS::TaskDefinition"), "ContainerDefinitions", 0, "Memory"), float64(s.Task.MemoryMiB); got != want {
			t.Errorf("container memory limit = %v, want %v", got, want)
		}
		if public := get(tp.props(t, "AWS::ECS::Service"), "NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"); public != map[bool]string{true: "ENABLED", false: "DISABLED"}[s.Network.PublicTasks] {
			t.Errorf("service AssignPublicIp = %v with publicTasks %v", public, s.Network.PublicTasks)
		}
		keys := outsideDatabase(tp.resources("AWS::KMS::Key"))
		if !s.ControlTower() {
			if len(keys) != 0 {
				t.Errorf("%d KMS keys without the compliance profile", len(keys))
			}
			return
		}
		key := tp.props(t, "AWS::KMS::Key")
		if key["EnableKeyRotation"] != true {
			t.Error("log key rotation is off")
		}
		statements := map[string]string{}
		for _, st := range anySlice(get(key, "KeyPolicy", "Statement")) {
			if sid, ok := get(st, "Sid").(string); ok {
				statements[sid] = jsonOf(st)
			}
		}
		wantLogs := `{"Action":["kms:Decrypt*","kms:Describe*","kms:Encrypt*","kms:GenerateDataKey*","kms:ReEncrypt*"],"Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:` + s.Region + `:` + s.Account + `:log-group:*"}},"Effect":"Allow","Principal":{"Service":"logs.` + s.Region + `.amazonaws.com"},"Resource":"*","Sid":"AllowCloudWatchLogs"}`
		wantGrants := `{"Action":"kms:CreateGrant","Condition":{"BoolIfExists":{"aws:PrincipalIsAWSService":"false","kms:GrantIsForAWSResource":"false"}},"Effect":"Deny","Principal":{"AWS":"*"},"Resource":"*","Sid":"DenyGrantsExceptForAWSServices"}`
		if statements["AllowCloudWatchLogs"] != wantLogs || statements["DenyGrantsExceptForAWSServices"] != wantGrants {
			t.Errorf("key policy statements:\n%v\nwant\n%s\n%s", statements, wantLogs, wantGrants)
		}
		for id, g := range tp.resources("AWS::Logs::LogGroup") {
			if !strings.Contains(jsonOf(get(g, "Properties", "KmsKeyId")), "ComplianceLogKey") || get(g, "Properties", "RetentionInDays").(float64) < settings.MinComplianceRetentionDays {
				t.Errorf("%s = %s, want the compliance key and >= 365 days", id, jsonOf(g["Properties"]))
			}
		}
		topic := tp.props(t, "AWS::SNS::Topic")
		if !strings.Contains(jsonOf(topic["KmsMasterKeyId"]), "ComplianceLogKey") {
			t.Errorf("alarm topic = %s, want it encrypted with the compliance key", jsonOf(topic))
		}
		for id, a := range tp.resources("AWS::CloudWatch::Alarm") {
			if !strings.Contains(jsonOf(get(a, "Properties", "AlarmActions")), "ComplianceAlarmTopic") {
				t.Errorf("alarm %s has no action on the alarm topic", id)
			}
		}
	})
}
