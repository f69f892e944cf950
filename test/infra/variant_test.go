package infra

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

const (
	kmsKey             = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	importedConfig     = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/staging/vsync-config-Q1w2E3"
	importedPassphrase = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/staging/vsync-passphrase-R4t5Y6"
	certARN            = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
)

// stagingVariant overrides staging only, through the same context key cdk.json uses.
var stagingVariant = map[string]any{"keel:staging": map[string]any{
	"certificateArn": certARN,
	"secrets":        map[string]any{"configArn": importedConfig, "passphraseArn": importedPassphrase, "kmsKeyArn": kmsKey},
	"network": map[string]any{
		"vpcId":            "vpc-0123456789abcdef0",
		"publicSubnetIds":  []any{"subnet-0000000000000000a", "subnet-0000000000000000b"},
		"privateSubnetIds": []any{"subnet-0000000000000000c", "subnet-0000000000000000d"},
		"natGateways":      0,
	},
	"database":   map[string]any{"subnetIds": []any{"subnet-0000000000000000e", "subnet-0000000000000000f"}},
	"task":       map[string]any{"arm64": false, "spot": true},
	"deployment": map[string]any{"strategy": "blueGreen", "testListenerCidrs": []any{testCIDR}},
}}

// testCIDR may reach the blue/green variant's test listener.
const testCIDR = "203.0.113.7/32"

func TestOverrideChangesOnlyItsStage(t *testing.T) {
	base := app(t)
	v := variant(t)
	for _, name := range []string{"dev", "prod"} {
		if !bytes.Equal(normalize(base.templates[name]), normalize(v.templates[name])) {
			t.Errorf("overriding staging changed the %s template", name)
		}
	}
	if bytes.Equal(normalize(base.templates["staging"]), normalize(v.templates["staging"])) {
		t.Fatal("the staging override changed nothing")
	}

	tp := v.templates["staging"]
	t.Run("imported secrets", func(t *testing.T) {
		if v.built["staging"].Foundation != nil {
			t.Error("a stage that imports its secrets still has a foundation stack")
		}
		want := `[{"Name":"VSYNC_CONFIG","ValueFrom":"` + importedConfig + `"},{"Name":"VSYNC_PASSPHRASE","ValueFrom":"` + importedPassphrase + `"}]`
		if got := jsonOf(container(t, tp)["Secrets"]); got != want {
			t.Errorf("Secrets = %s\nwant %s", got, want)
		}
		if strings.Contains(jsonOf(tp), "Fn::ImportValue") {
			t.Error("the service still imports the foundation's exports")
		}
	})
	t.Run("kms", func(t *testing.T) {
		want := `{"Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.eu-west-1.amazonaws.com"}},"Effect":"Allow","Resource":"` + kmsKey + `"}`
		if got := jsonOf(policy(t, tp, "AppTaskExecutionRoleDefaultPolicy")); !strings.Contains(got, want) {
			t.Errorf("execution role lacks %s:\n%s", want, got)
		}
		if strings.Contains(jsonOf(policy(t, tp, "AppTaskTaskRoleDefaultPolicy")), "kms:") {
			t.Error("task role can use the key")
		}
	})
	t.Run("https", func(t *testing.T) {
		listeners := map[float64]map[string]any{}
		for _, l := range tp.resources("AWS::ElasticLoadBalancingV2::Listener") {
			p := l["Properties"].(map[string]any)
			listeners[p["Port"].(float64)] = p
		}
		https, http := listeners[443], listeners[80]
		if https == nil || https["Protocol"] != "HTTPS" || get(https, "Certificates", 0, "CertificateArn") != certARN || get(https, "DefaultActions", 0, "Type") != "forward" {
			t.Errorf("HTTPS listener = %s", jsonOf(https))
		}
		if http == nil || get(http, "DefaultActions", 0, "Type") != "redirect" || get(http, "DefaultActions", 0, "RedirectConfig", "Port") != "443" {
			t.Errorf("HTTP listener = %s, want a redirect to 443", jsonOf(http))
		}
	})
	t.Run("imported vpc", func(t *testing.T) {
		if n := len(tp.resources("AWS::EC2::VPC")) + len(tp.resources("AWS::EC2::Subnet")); n != 0 {
			t.Errorf("an imported VPC created %d VPC/subnet resources", n)
		}
		if got := jsonOf(get(tp.props(t, "AWS::ECS::Service"), "NetworkConfiguration", "AwsvpcConfiguration", "Subnets")); got != `["subnet-0000000000000000c","subnet-0000000000000000d"]` {
			t.Errorf("tasks in %s, want the private subnet IDs", got)
		}
	})
	t.Run("blue/green", func(t *testing.T) {
		checkBlueGreen(t, v.built["staging"].Settings, tp)
		annotations := assertions.Annotations_FromStack(v.built["staging"].Stack)
		pattern := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
		noFinding(t, func() { annotations.HasNoError(jsii.String("*"), pattern) })
		noFinding(t, func() { annotations.HasNoWarning(jsii.String("*"), pattern) })
	})
	t.Run("spot", func(t *testing.T) {
		svc := tp.props(t, "AWS::ECS::Service")
		if jsonOf(svc["CapacityProviderStrategy"]) != `[{"CapacityProvider":"FARGATE_SPOT","Weight":1}]` || svc["LaunchType"] != nil {
			t.Errorf("capacity = %s launch type %v", jsonOf(svc["CapacityProviderStrategy"]), svc["LaunchType"])
		}
		if arch := get(tp.props(t, "AWS::ECS::TaskDefinition"), "RuntimePlatform", "CpuArchitecture"); arch != "X86_64" {
			t.Errorf("spot task architecture %v", arch)
		}
	})
}
