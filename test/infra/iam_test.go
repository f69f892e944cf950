package infra

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

// policy returns the statements of the inline policy whose logical ID starts with prefix.
func policy(t *testing.T, tp template, prefix string) []any {
	t.Helper()
	for id, p := range tp.resources("AWS::IAM::Policy") {
		if strings.HasPrefix(id, prefix) {
			return get(p, "Properties", "PolicyDocument", "Statement").([]any)
		}
	}
	return nil
}

func TestExecutionRolePolicy(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		config, passphrase := serviceSecretRefs(s)
		repo := fmt.Sprintf("arn:aws:ecr:%s:%s:repository/cdk-%s-container-assets-%s-%s", s.Region, s.Account, s.Bootstrap.Qualifier, s.Account, s.Region)
		want := `[` +
			`{"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Effect":"Allow","Resource":"` + repo + `"},` +
			`{"Action":"ecr:GetAuthorizationToken","Effect":"Allow","Resource":"*"},` +
			`{"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Effect":"Allow","Resource":{"Fn::GetAtt":["Logs6819BB44","Arn"]}},` +
			`{"Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"],"Effect":"Allow","Resource":[` + config + `,` + passphrase + `]}` +
			keyStatement(s) + `]`
		if got := jsonOf(policy(t, tp, "AppTaskExecutionRoleDefaultPolicy")); got != want {
			t.Errorf("execution role statements:\n got %s\nwant %s", got, want)
		}
	})
}

func TestTaskRoleCannotReadSecrets(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		statements := withoutTracing(t, s, withoutDatabaseConnect(policy(t, tp, "AppTaskTaskRoleDefaultPolicy")))
		text := jsonOf(statements)
		if strings.Contains(text, "secretsmanager") || strings.Contains(text, "kms:") {
			t.Fatalf("task role can reach secrets: %s", text)
		}
		if !s.Task.ECSExec {
			if statements != nil {
				t.Fatalf("task role has a policy without ECS Exec: %s", text)
			}
			return
		}
		want := `[{"Action":["logs:DescribeLogGroups","ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel","ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Effect":"Allow","Resource":"*"},` +
			`{"Action":["logs:CreateLogStream","logs:DescribeLogStreams","logs:PutLogEvents"],"Effect":"Allow","Resource":{"Fn::Join":["",["arn:aws:logs:` + s.Region + `:` + s.Account + `:log-group:",{"Ref":"Logs6819BB44"},":*"]]}}]`
		if text != want {
			t.Errorf("ECS Exec task role statements:\n got %s\nwant %s", text, want)
		}
	})
}
