package infra

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/keelstack/keel/infra/settings"
	"github.com/keelstack/keel/infra/stage"
	"github.com/keelstack/keel/test/internal/testenv"
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
		{"unknown strategy", prod(deployment(map[string]any{"strategy": "blue-green"})), []string{`keel:prod.deployment.strategy = "blue-green"`, "rolling canary linear blueGreen"}},
		{"canary percent zero", prod(deployment(map[string]any{"canaryPercent": 0})), []string{"keel:prod.deployment.canaryPercent = 0", "0.1 to 100"}},
		{"canary percent over 100", prod(deployment(map[string]any{"canaryPercent": 150})), []string{"keel:prod.deployment.canaryPercent = 150", "0.1 to 100"}},
		{"canary percent off the 0.1 grid", prod(deployment(map[string]any{"canaryPercent": 5.55})), []string{"keel:prod.deployment.canaryPercent = 5.55", "steps of 0.1"}},
		{"linear step below ECS's 3 %", staging(deployment(map[string]any{"linearStepPercent": 2})), []string{"keel:staging.deployment.linearStepPercent = 2", "3.0 to 100"}},
		{"canary bake over 24 h", prod(deployment(map[string]any{"canaryBakeMinutes": 1441})), []string{"keel:prod.deployment.canaryBakeMinutes = 1441", "0 to 1440"}},
		{"negative step bake", staging(deployment(map[string]any{"linearStepBakeMinutes": -1})), []string{"keel:staging.deployment.linearStepBakeMinutes = -1", "0 to 1440"}},
		{"canary judged before the alarms can", prod(deployment(map[string]any{"canaryBakeMinutes": 1})), []string{"keel:prod.deployment.canaryBakeMinutes = 1", "before the deployment alarms (deployment.alarms.evaluationMinutes = 2)"}},
		{"linear step shorter than the alarms' window", staging(deployment(map[string]any{"linearStepBakeMinutes": 2})), []string{"keel:staging.deployment.linearStepBakeMinutes = 2", "at least 3"}},
		{"bake over 24 h", prod(deployment(map[string]any{"bakeMinutes": 2000})), []string{"keel:prod.deployment.bakeMinutes = 2000", "0 to 1440"}},
		{"bake shorter than the alarms' window", prod(deployment(map[string]any{"bakeMinutes": 1})), []string{"keel:prod.deployment.bakeMinutes = 1", "deployment.alarms.evaluationMinutes = 2", "at least 2"}},
		{"step bakes follow the deployment alarms' window, not the paging one", staging(map[string]any{"alarms": map[string]any{"evaluationMinutes": 1}, "deployment": map[string]any{"alarms": map[string]any{"evaluationMinutes": 5}}}),
			[]string{"keel:staging.deployment.linearStepBakeMinutes = 4", "deployment.alarms.evaluationMinutes = 5", "at least 5"}},
		{"over CloudFormation's time limit", staging(deployment(map[string]any{"linearStepPercent": 3, "linearStepBakeMinutes": 60})), []string{"keel:staging.deployment.bakeMinutes = 5", "1987 minutes", "33 h"}},
		{"blue/green without test CIDRs", prod(deployment(map[string]any{"strategy": "blueGreen"})), []string{"keel:prod.deployment.testListenerCidrs = []", "who may reach it"}},
		{"blue/green test listener open to the internet", prod(deployment(map[string]any{"strategy": "blueGreen", "testListenerCidrs": []any{"0.0.0.0/0"}})), []string{"keel:prod.deployment.testListenerCidrs", `"0.0.0.0/0" opens the test listener to the internet`}},
		{"blue/green test listener on a production port", prod(deployment(map[string]any{"strategy": "blueGreen", "testListenerCidrs": []any{"10.0.0.0/16"}, "testListenerPort": 443})), []string{"keel:prod.deployment.testListenerPort = 443", "other than 80 and 443"}},
		{"test CIDR malformed", prod(deployment(map[string]any{"strategy": "blueGreen", "testListenerCidrs": []any{"10.0.0.1/16"}})), []string{"keel:prod.deployment.testListenerCidrs", `"10.0.0.1/16" is not an IPv4 CIDR block`}},
		{"5xx rate threshold", prod(deployment(map[string]any{"alarms": map[string]any{"target5xxPercent": 0}})), []string{"keel:prod.deployment.alarms.target5xxPercent = 0", "(0, 100]"}},
		{"minimum requests", prod(deployment(map[string]any{"alarms": map[string]any{"minRequestsPerMinute": 0}})), []string{"keel:prod.deployment.alarms.minRequestsPerMinute = 0"}},
		{"p99 threshold", prod(deployment(map[string]any{"alarms": map[string]any{"p99LatencyMilliseconds": 5}})), []string{"keel:prod.deployment.alarms.p99LatencyMilliseconds = 5", "at least 10"}},
		{"no deployment alarm window", prod(deployment(map[string]any{"alarms": map[string]any{"evaluationMinutes": 0}})), []string{"keel:prod.deployment.alarms.evaluationMinutes = 0", "1 to 1440"}},
		{"deployment alarm window over CloudWatch's day", map[string]any{"keel:dev": map[string]any{"deployment": map[string]any{"alarms": map[string]any{"evaluationMinutes": 1441}}}}, []string{"keel:dev.deployment.alarms.evaluationMinutes = 1441", "1 to 1440", "after every deploy"}},
		{"staging without HTTPS", map[string]any{"keel:staging": map[string]any{"https": map[string]any{"domainName": "", "hostedZoneId": "", "hostedZoneName": ""}}},
			[]string{`keel:staging.https.domainName = ""`, "staging must serve HTTPS", "https.hostedZoneId", "certificateArn", "https.allowPlainHttp true"}},
		{"prod without HTTPS", prod(noHTTPS), []string{`keel:prod.https.domainName = ""`, "prod must serve HTTPS", "certificateArn", "https.allowPlainHttp true"}},
		{"zone does not contain the domain", prod(map[string]any{"https": map[string]any{"domainName": "api.example.org"}}),
			[]string{`keel:prod.https.hostedZoneName = "example.com"`, "does not contain", `"api.example.org"`}},
		{"zone name is a suffix but not a parent", prod(map[string]any{"https": map[string]any{"domainName": "keel.notexample.com"}}),
			[]string{"keel:prod.https.hostedZoneName", "does not contain"}},
		{"domain without zone", map[string]any{"keel:dev": map[string]any{"https": map[string]any{"domainName": "dev.example.com"}}},
			[]string{`keel:dev.https.domainName = "dev.example.com"`, "https.hostedZoneId and https.hostedZoneName"}},
		{"bad zone ID", prod(map[string]any{"https": map[string]any{"hostedZoneId": "/hostedzone/Z123"}}), []string{"keel:prod.https.hostedZoneId", "without /hostedzone/"}},
		{"opt-out with HTTPS", prod(map[string]any{"https": map[string]any{"allowPlainHttp": true}}), []string{"keel:prod.https.allowPlainHttp = true", "remove it"}},
		{"unknown compliance profile", prod(map[string]any{"compliance": map[string]any{"profile": "pci"}}), []string{`keel:prod.compliance.profile = "pci"`, `"control-tower"`}},
		{"compliance profile with short retention", prod(map[string]any{"logs": map[string]any{"retentionDays": 90}}),
			[]string{"keel:prod.logs.retentionDays = 90", "365", "CT.CLOUDWATCH.PR.2", `compliance.profile "none"`}},
		{"compliance profile without protection", prod(map[string]any{"protect": false}), []string{"keel:prod.protect = false", "CT.ELASTICLOADBALANCING.PR.5"}},
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

// noHTTPS removes the default domain of a stage.
var noHTTPS = map[string]any{"https": map[string]any{"domainName": "", "hostedZoneId": "", "hostedZoneName": ""}}

// TestHTTPSOptOutAccepted: staging and prod may serve plain HTTP when they say so by name.
func TestHTTPSOptOutAccepted(t *testing.T) {
	optOut := map[string]any{"https": map[string]any{"domainName": "", "hostedZoneId": "", "hostedZoneName": "", "allowPlainHttp": true}}
	built, err := stage.Build(awscdk.NewApp(nil), map[string]any{"keel:staging": optOut, "keel:prod": optOut}, stage.Image{RepoRoot: testenv.RepoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range built {
		if b.Settings.ServesHTTPS() {
			t.Errorf("%s serves HTTPS after the opt-out", b.Settings.Name)
		}
	}
}

func prod(overrides map[string]any) map[string]any { return map[string]any{"keel:prod": overrides} }

func staging(overrides map[string]any) map[string]any {
	return map[string]any{"keel:staging": overrides}
}

func deployment(settings map[string]any) map[string]any {
	return map[string]any{"deployment": settings}
}

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

// TestAccountLayout: two stages with one qualifier in one account fail synth; prod sharing an
// account with another stage is a warning, not an error (the defaults do it: every stage is in
// the documentation account), and is shown at synth on prod's stack.
func TestAccountLayout(t *testing.T) {
	_, err := stage.Build(awscdk.NewApp(nil), map[string]any{"keel:staging": map[string]any{"bootstrap": map[string]any{"qualifier": "keeldev"}}}, stage.Image{})
	if err == nil || !strings.Contains(err.Error(), `keel:staging.bootstrap.qualifier = "keeldev": keel:dev uses it in the same account`) {
		t.Errorf("a shared qualifier was accepted or badly reported: %v", err)
	}
	_, err = stage.Build(awscdk.NewApp(nil), prod(map[string]any{"bootstrap": map[string]any{"qualifier": "Keel-Prod"}}), stage.Image{})
	if err == nil || !strings.Contains(err.Error(), `keel:prod.bootstrap.qualifier = "Keel-Prod"`) {
		t.Errorf("a bad qualifier was accepted or badly reported: %v", err)
	}

	stages := func(prodAccount string) []settings.Stage {
		var out []settings.Stage
		for _, n := range settings.Names {
			s, _ := settings.Defaults(n)
			if n == "prod" {
				s.Account = prodAccount
			}
			out = append(out, s)
		}
		return out
	}
	if w := settings.AccountWarnings(stages(settings.ExampleAccount)); len(w) != 1 || !strings.Contains(w[0], "keel:prod.account = 123456789012 is also the account of dev and staging") {
		t.Errorf("shared prod account: warnings %q", w)
	}
	if w := settings.AccountWarnings(stages("210987654321")); len(w) != 0 {
		t.Errorf("prod in its own account: warnings %q", w)
	}
	a := app(t)
	prodMeta := jsonOf(a.built["prod"].Stack.Node().Metadata())
	devMeta := jsonOf(a.built["dev"].Stack.Node().Metadata())
	if !strings.Contains(prodMeta, "is also the account of dev and staging") || strings.Contains(devMeta, "is also the account") {
		t.Errorf("the account warning is not on prod's stack (and only there):\nprod %s\ndev %s", prodMeta, devMeta)
	}
}
