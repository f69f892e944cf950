package infra

import (
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
