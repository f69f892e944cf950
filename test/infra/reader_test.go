package infra

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/keelstack/keel/infra/foundation"
	"github.com/keelstack/keel/infra/settings"
)

// TestReaderKeyRotation: raising foundation.readerKeySerial gives the reader's access key a
// Serial (a change replaces the key), and the reader secret holds that key's ID and secret, so
// one update of the foundation leaves them consistent; the default sets no Serial, so that
// deployed keys stay as they are.
func TestReaderKeyRotation(t *testing.T) {
	for id, k := range app(t).foundation["dev"].resources("AWS::IAM::AccessKey") {
		if serial := get(k, "Properties", "Serial"); serial != nil {
			t.Errorf("default reader key %s has Serial %v, want none", id, serial)
		}
	}
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("F"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(settings.ExampleAccount), Region: jsii.String("eu-west-1")}})
	foundation.New(stack, "Foundation", foundation.Props{Stage: "dev", Prefix: "keel/dev/", ConfigSecretName: "keel/dev/vsync-config", PassphraseSecretName: "keel/dev/vsync-passphrase",
		ReaderSecretName: "keel/dev/vault-reader", ReaderUserName: "keel-dev-vault-reader", NoncurrentVersionDays: 30, ReaderKeySerial: 2})
	tp := template(*assertions.Template_FromStack(stack, nil).ToJSON())
	keys := tp.resources("AWS::IAM::AccessKey")
	if len(keys) != 1 {
		t.Fatalf("%d access keys, want 1", len(keys))
	}
	var keyID string
	for id, k := range keys {
		keyID = id
		if serial := get(k, "Properties", "Serial"); serial != float64(2) {
			t.Errorf("reader key Serial = %v, want 2", serial)
		}
	}
	var secret string
	for _, r := range tp.resources("AWS::SecretsManager::Secret") {
		if get(r, "Properties", "Name") == "keel/dev/vault-reader" {
			secret = jsonOf(r)
		}
	}
	for _, want := range []string{`{"Ref":"` + keyID + `"}`, `{"Fn::GetAtt":["` + keyID + `","SecretAccessKey"]}`} {
		if !strings.Contains(secret, want) {
			t.Errorf("the reader secret does not take %s from the key: %s", want, secret)
		}
	}
	_, err := settings.FromContext(map[string]any{"keel:dev": map[string]any{"foundation": map[string]any{"readerKeySerial": -1}}})
	if err == nil || !strings.Contains(err.Error(), "keel:dev.foundation.readerKeySerial = -1") {
		t.Errorf("a negative serial was accepted or badly reported: %v", err)
	}
}

// TestVaultReaderBoundary: the vault reader's key stays a read-only key for its prefix even
// after someone attaches an administrator's policy to the user (the attack the old layout
// allowed through iam:PutUserPolicy).
func TestVaultReaderBoundary(t *testing.T) {
	a := app(t)
	var requests []simRequest
	var want []string
	for _, name := range settings.Names {
		fnd, ok := a.foundation[name]
		if !ok {
			continue
		}
		s := a.built[name].Settings
		res := resolver{stage: name, account: s.Account, region: s.Region, resources: fnd["Resources"].(map[string]any)}
		policy := func(typ string) namedPolicy {
			t.Helper()
			for id, r := range fnd.resources(typ) {
				var literal []any
				for _, st := range anySlice(get(r, "Properties", "PolicyDocument", "Statement")) {
					l, err := literalStatement(res, st)
					if err != nil {
						t.Fatalf("%s %s: %v", name, id, err)
					}
					literal = append(literal, l)
				}
				return namedPolicy{Name: id, Policy: map[string]any{"Version": "2012-10-17", "Statement": literal}}
			}
			t.Fatalf("%s: no %s in the foundation", name, typ)
			return namedPolicy{}
		}
		reader := principal{arn: fmt.Sprintf("arn:aws:iam::%s:user/keel-%s-vault-reader", s.Account, name),
			policies:   []namedPolicy{policy("AWS::IAM::Policy"), {Name: "attached-later", Policy: allowAll}},
			boundaries: []namedPolicy{policy("AWS::IAM::ManagedPolicy")}}
		bucket, _ := res.ref(firstID(fnd, "AWS::S3::Bucket"), true)
		prefix := map[string]any{"s3:prefix": "keel/" + name + "/"}
		for _, c := range []struct {
			action, resource string
			ctx              map[string]any
			allowed          bool
		}{
			{"s3:GetObject", bucket + "/keel/" + name + "/current.json", nil, true},
			{"s3:ListBucket", bucket, prefix, true},
			{"s3:PutObject", bucket + "/keel/" + name + "/current.json", nil, false},
			{"s3:GetObject", bucket + "/keel/other/current.json", nil, false},
			{"s3:ListBucket", bucket, map[string]any{"s3:prefix": "keel/"}, false},
			{"iam:CreateAccessKey", fmt.Sprintf("arn:aws:iam::%s:user/keel-%s-vault-reader", s.Account, name), nil, false},
			{"secretsmanager:GetSecretValue", fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:keel/%s/vsync-passphrase-AbCdEf", s.Region, s.Account, name), nil, false},
		} {
			requests = append(requests, reader.request(name+" reader", c.action, c.resource, s.Account, c.ctx))
			want = append(want, map[bool]string{true: "Allowed", false: "denied"}[c.allowed])
		}
	}
	if len(requests) == 0 {
		t.Fatal("no stage has a foundation")
	}
	for i, r := range simulate(t, requests) {
		if got := map[bool]string{true: "Allowed", false: "denied"}[r.Result == "Allowed"]; got != want[i] || r.Result == "Error" {
			t.Errorf("%s: %s on %s is %s (%s), want %s", r.Name, requests[i].Action, requests[i].Resource, r.Result, r.Error, want[i])
		}
	}
}

func firstID(tp template, typ string) string {
	for id := range tp.resources(typ) {
		return id
	}
	return ""
}
