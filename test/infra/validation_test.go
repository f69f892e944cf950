package infra

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/keelstack/keel/infra/stage"
)

// TestInvalidSettingsFailSynth: each bad setting stops the app before any construct exists,
// with one message naming the setting, the value and the fix.
func TestInvalidSettingsFailSynth(t *testing.T) {
	tests := []struct {
		name    string
		context map[string]any
		want    []string // all must appear in the message
	}{
		{"unknown stage", map[string]any{"keel:qa": map[string]any{}}, []string{`"keel:qa"`, `unknown stage "qa"`, "dev staging prod"}},
		{"unknown setting", prod(map[string]any{"scaling": map[string]any{"maxTask": 3}}), []string{"keel:prod", `unknown field "maxTask"`}},
		{"wrong type", prod(map[string]any{"task": map[string]any{"cpu": "big"}}), []string{"keel:prod", "task.cpu"}},
		{"malformed secret ARN", prod(imported("configArn", "keel/prod/vsync-config")), []string{"keel:prod.secrets.configArn", `"keel/prod/vsync-config"`, "complete secret ARN"}},
		{"secret ARN without suffix", prod(imported("passphraseArn", secretARN("eu-west-1", "123456789012", "keel/prod/vsync-passphrase"))), []string{"keel:prod.secrets.passphraseArn", "partial ARN", "AccessDenied"}},
		{"partial ARN ending in a word", prod(imported("configArn", secretARN("eu-west-1", "123456789012", "keel/prod/vsync-config"))), []string{"keel:prod.secrets.configArn", "ends in -config", "complete ARN that describe-secret prints", "secrets.configName"}},
		{"ARN not of the named secret", prod(imported("configArn", secretARN("eu-west-1", "123456789012", "keel/prod/vsync-config"), "configName", "keel/prod/vsync-config")), []string{"keel:prod.secrets.configArn", `secrets.configName = "keel/prod/vsync-config"`, "6-character suffix"}},
		{"secret in another region", prod(imported("passphraseArn", secretARN("us-east-1", "123456789012", "keel/prod/vsync-passphrase-R4t5Y6"))), []string{"keel:prod.secrets.passphraseArn", "not in this stage's account 123456789012 and region eu-west-1", "create it there"}},
		{"secret in another account", prod(imported("configArn", secretARN("eu-west-1", "999999999999", "keel/prod/vsync-config-Q1w2E3"))), []string{"keel:prod.secrets.configArn", "not in this stage's account 123456789012"}},
		{"one imported secret", prod(secrets("configArn", secretARN("eu-west-1", "123456789012", "keel/prod/vsync-config-Q1w2E3"))), []string{`keel:prod.secrets.passphraseArn = ""`, "import both secrets", "make foundation"}},
		{"key with the foundation's secrets", prod(secrets("kmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")), []string{"keel:prod.secrets.kmsKeyArn", "foundation.customerManagedKey"}},
		{"malformed KMS ARN", prod(imported("kmsKeyArn", "alias/vsync")), []string{"keel:prod.secrets.kmsKeyArn", "key ARN"}},
		{"KMS key in another region", prod(imported("kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")), []string{"keel:prod.secrets.kmsKeyArn", "account 123456789012 in eu-west-1"}},
		{"noncurrent versions kept forever", prod(map[string]any{"foundation": map[string]any{"noncurrentVersionDays": 0}}), []string{"keel:prod.foundation.noncurrentVersionDays = 0", "1 to 3650"}},
		{"certificate in another region", prod(map[string]any{"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}), []string{"keel:prod.certificateArn", "region eu-west-1"}},
		{"cpu/memory pair", prod(map[string]any{"task": map[string]any{"cpu": 256, "memoryMiB": 4096}}), []string{"keel:prod.task.memoryMiB = 4096", "512, 1024, 2048"}},
		{"cpu size", prod(map[string]any{"task": map[string]any{"cpu": 300}}), []string{"keel:prod.task.cpu = 300"}},
		{"spot on arm64", prod(map[string]any{"task": map[string]any{"spot": true}}), []string{"keel:prod.task.spot", "X86_64"}},
		{"deregistration delay", prod(drain("deregistrationDelaySeconds", 3601)), []string{"keel:prod.drain.deregistrationDelaySeconds = 3601", "0 to 3600"}},
		{"stop timeout above Fargate's cap", prod(drain("stopTimeoutSeconds", 150)), []string{"keel:prod.drain.stopTimeoutSeconds = 150", "2 to 120"}},
		{"drain chain does not fit", prod(drain("shutdownBudgetSeconds", 58)), []string{"keel:prod.drain.shutdownBudgetSeconds = 58", "at most 55", "SIGKILL"}},
		{"account", prod(map[string]any{"account": "1234", "github": map[string]any{"oidcProviderArn": ""}}), []string{"keel:prod.account", "12 digits"}},
		{"one availability zone", prod(map[string]any{"availabilityZones": []any{"eu-west-1a"}, "network": map[string]any{"natGateways": 1}}), []string{"keel:prod.availabilityZones", "at least 2"}},
		{"private tasks without NAT", prod(map[string]any{"network": map[string]any{"natGateways": 0}}), []string{"keel:prod.network.natGateways = 0", "publicTasks"}},
		{"imported VPC without subnets", prod(map[string]any{"network": map[string]any{"vpcId": "vpc-0123456789abcdef0", "natGateways": 0, "privateSubnetIds": []any{"subnet-0000000000000000c", "subnet-0000000000000000d"}}}), []string{"keel:prod.network.publicSubnetIds = []", "one subnet per availability zone"}},
		{"health check timeout", prod(map[string]any{"healthCheck": map[string]any{"timeoutSeconds": 10}}), []string{"keel:prod.healthCheck.timeoutSeconds = 10", "less than healthCheck.intervalSeconds"}},
		{"threshold", prod(map[string]any{"healthCheck": map[string]any{"unhealthyThreshold": 1}}), []string{"keel:prod.healthCheck.unhealthyThreshold = 1", "2 to 10"}},
		{"grace shorter than boot", prod(map[string]any{"healthCheck": map[string]any{"gracePeriodSeconds": 5}}), []string{"keel:prod.healthCheck.gracePeriodSeconds = 5", "app.bootTimeoutSeconds"}},
		{"scaling bounds", prod(map[string]any{"scaling": map[string]any{"minTasks": 4, "maxTasks": 2}}), []string{"keel:prod.scaling.maxTasks = 2"}},
		{"log retention", prod(map[string]any{"logs": map[string]any{"retentionDays": 10}}), []string{"keel:prod.logs.retentionDays = 10", "CloudWatch Logs accepts"}},
		{"removal policy", prod(map[string]any{"logs": map[string]any{"removalPolicy": "keep"}}), []string{"keel:prod.logs.removalPolicy", `"retain" or "destroy"`}},
		{"log level", prod(map[string]any{"app": map[string]any{"logLevel": "verbose"}}), []string{"keel:prod.app.logLevel"}},
		{"bad repository", prod(map[string]any{"github": map[string]any{"repository": "keel"}}), []string{"keel:prod.github.repository", "owner/name"}},
		{"provider of another account", prod(map[string]any{"github": map[string]any{"oidcProviderArn": "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com"}}), []string{"keel:prod.github.oidcProviderArn", "arn:aws:iam::123456789012:oidc-provider"}},
		{"two providers in one account", prod(map[string]any{"github": map[string]any{"oidcProviderArn": ""}}), []string{`keel:prod.github.oidcProviderArn = "": keel:dev already creates`, "one per account"}},
		{"privileged port", prod(map[string]any{"app": map[string]any{"port": 80}}), []string{"keel:prod.app.port = 80", "non-root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := stage.Build(awscdk.NewApp(nil), tt.context, stage.Image{})
			if err == nil {
				t.Fatal("Build accepted the settings")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines != 1 {
				t.Errorf("one bad setting gave %d lines:\n%v", lines, err)
			}
		})
	}
}

func prod(overrides map[string]any) map[string]any { return map[string]any{"keel:prod": overrides} }

func secrets(key, value string) map[string]any {
	return map[string]any{"secrets": map[string]any{key: value}}
}

func secretARN(region, account, resource string) string {
	return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + resource
}

// imported is the import path with two good ARNs, then the given keys (key, value, ...).
func imported(kv ...string) map[string]any {
	sec := map[string]any{
		"configArn":     secretARN("eu-west-1", "123456789012", "keel/prod/vsync-config-Q1w2E3"),
		"passphraseArn": secretARN("eu-west-1", "123456789012", "keel/prod/vsync-passphrase-R4t5Y6"),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		sec[kv[i]] = kv[i+1]
	}
	return map[string]any{"secrets": sec}
}

func drain(key string, value int) map[string]any {
	return map[string]any{"drain": map[string]any{key: value}}
}
