package infra

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keelstack/keel/app/stagesecrets"
	"github.com/keelstack/keel/infra/foundation"
	"github.com/keelstack/keel/infra/settings"
)

// serviceSecretRefs is what the service stack's task definition and execution role name for
// the two secrets, as JSON: the foundation's exports, or the imported ARNs.
func serviceSecretRefs(s settings.Stage) (config, passphrase string) {
	if s.Secrets.Imported() {
		return fmt.Sprintf("%q", s.Secrets.ConfigARN), fmt.Sprintf("%q", s.Secrets.PassphraseARN)
	}
	return importValue(s.Name, "vsync-config-arn"), importValue(s.Name, "vsync-passphrase-arn")
}

func importValue(stage, what string) string {
	return fmt.Sprintf(`{"Fn::ImportValue":"keel-%s-%s"}`, stage, what)
}

// keyStatement is the execution role's statement for the secrets' customer-managed key.
func keyStatement(s settings.Stage) string {
	key := ""
	switch {
	case s.Secrets.Imported() && s.Secrets.KMSKeyARN != "":
		key = fmt.Sprintf("%q", s.Secrets.KMSKeyARN)
	case !s.Secrets.Imported() && s.Foundation.CustomerManagedKey:
		key = importValue(s.Name, "vault-key-arn")
	default:
		return ""
	}
	return `,{"Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.` + s.Region + `.amazonaws.com"}},"Effect":"Allow","Resource":` + key + `}`
}

// forEachFoundation runs f on every stage's foundation template (every default stage has one).
func forEachFoundation(t *testing.T, f func(t *testing.T, s settings.Stage, tp template)) {
	a := app(t)
	for _, name := range settings.Names {
		t.Run(name, func(t *testing.T) {
			tp, ok := a.foundation[name]
			if !ok {
				t.Fatal("no foundation stack")
			}
			f(t, a.built[name].Settings, tp)
		})
	}
}

// only returns the logical ID and properties of the only resource of type typ.
func only(t *testing.T, tp template, typ string) (string, map[string]any) {
	t.Helper()
	rs := tp.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, r["Properties"].(map[string]any)
	}
	return "", nil
}

func TestFoundationBucket(t *testing.T) {
	forEachFoundation(t, func(t *testing.T, s settings.Stage, tp template) {
		id, b := only(t, tp, "AWS::S3::Bucket")
		if r := tp["Resources"].(map[string]any)[id].(map[string]any); r["DeletionPolicy"] != "Retain" {
			t.Errorf("the vault bucket is not retained: %v", r["DeletionPolicy"])
		}
		if got := jsonOf(b["VersioningConfiguration"]); got != `{"Status":"Enabled"}` {
			t.Errorf("versioning %s", got)
		}
		if got := jsonOf(b["PublicAccessBlockConfiguration"]); got != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
			t.Errorf("public access block %s", got)
		}
		wantSSE := `[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]`
		if s.Foundation.CustomerManagedKey {
			keyID, _ := only(t, tp, "AWS::KMS::Key")
			wantSSE = `[{"BucketKeyEnabled":true,"ServerSideEncryptionByDefault":{"KMSMasterKeyID":{"Fn::GetAtt":["` + keyID + `","Arn"]},"SSEAlgorithm":"aws:kms"}}]`
		} else if n := len(tp.resources("AWS::KMS::Key")); n != 0 {
			t.Errorf("%d KMS keys without foundation.customerManagedKey", n)
		}
		if got := jsonOf(get(b, "BucketEncryption", "ServerSideEncryptionConfiguration")); got != wantSSE {
			t.Errorf("encryption %s\nwant %s", got, wantSSE)
		}
		wantRule := fmt.Sprintf(`[{"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1},"ExpiredObjectDeleteMarker":true,"Id":"expire-replaced-versions","NoncurrentVersionExpiration":{"NoncurrentDays":%d},"Status":"Enabled"}]`, s.Foundation.NoncurrentVersionDays)
		if got := jsonOf(get(b, "LifecycleConfiguration", "Rules")); got != wantRule {
			t.Errorf("lifecycle %s\nwant %s", got, wantRule)
		}
		_, bp := only(t, tp, "AWS::S3::BucketPolicy")
		policy := jsonOf(get(bp, "PolicyDocument", "Statement"))
		for _, deny := range []string{`"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"`, `"Condition":{"NumericLessThan":{"s3:TlsVersion":1.2}},"Effect":"Deny"`} {
			if !strings.Contains(policy, deny) {
				t.Errorf("bucket policy lacks %s:\n%s", deny, policy)
			}
		}
		if strings.Contains(policy, `"Effect":"Allow"`) {
			t.Errorf("the bucket policy grants access: %s", policy)
		}
	})
}

// TestReaderPolicy: the reader may read its stage's prefix and nothing else.
func TestReaderPolicy(t *testing.T) {
	forEachFoundation(t, func(t *testing.T, s settings.Stage, tp template) {
		bucketID, _ := only(t, tp, "AWS::S3::Bucket")
		userID, user := only(t, tp, "AWS::IAM::User")
		if user["UserName"] != "keel-"+s.Name+"-vault-reader" || user["Policies"] != nil || user["ManagedPolicyArns"] != nil || user["LoginProfile"] != nil {
			t.Errorf("reader user %s", jsonOf(user))
		}
		_, p := only(t, tp, "AWS::IAM::Policy")
		if jsonOf(p["Users"]) != `[{"Ref":"`+userID+`"}]` {
			t.Errorf("policy attached to %s", jsonOf(p["Users"]))
		}
		bucketArn := `{"Fn::GetAtt":["` + bucketID + `","Arn"]}`
		want := `[` +
			`{"Action":"s3:GetObject","Effect":"Allow","Resource":{"Fn::Join":["",[` + bucketArn + `,"/keel/` + s.Name + `/*"]]}},` +
			`{"Action":"s3:ListBucket","Condition":{"StringLike":{"s3:prefix":"keel/` + s.Name + `/*"}},"Effect":"Allow","Resource":` + bucketArn + `}`
		if s.Foundation.CustomerManagedKey {
			keyID, _ := only(t, tp, "AWS::KMS::Key")
			want += `,{"Action":"kms:Decrypt","Condition":{"StringEquals":{"kms:ViaService":"s3.` + s.Region + `.amazonaws.com"}},"Effect":"Allow","Resource":{"Fn::GetAtt":["` + keyID + `","Arn"]}}`
		}
		want += `]`
		if got := jsonOf(get(p, "PolicyDocument", "Statement")); got != want {
			t.Errorf("reader policy:\n got %s\nwant %s", got, want)
		}
	})
}

// TestReaderKeyOnlyInSecret: the access key's secret is referenced once, by the reader
// secret's value; no output, no other resource, no literal.
func TestReaderKeyOnlyInSecret(t *testing.T) {
	forEachFoundation(t, func(t *testing.T, s settings.Stage, tp template) {
		keyID, key := only(t, tp, "AWS::IAM::AccessKey")
		userID, _ := only(t, tp, "AWS::IAM::User")
		if jsonOf(key["UserName"]) != `{"Ref":"`+userID+`"}` {
			t.Errorf("access key of %s", jsonOf(key["UserName"]))
		}
		getAtt := `{"Fn::GetAtt":["` + keyID + `","SecretAccessKey"]}`
		if n := strings.Count(jsonOf(tp), getAtt); n != 1 {
			t.Errorf("the key's SecretAccessKey is referenced %d times, want once (in the reader secret)", n)
		}
		if strings.Contains(jsonOf(tp["Outputs"]), keyID) {
			t.Errorf("an output references the access key: %s", jsonOf(tp["Outputs"]))
		}
		reader := secretNamed(t, tp, stagesecrets.ReaderName(s.Name))
		value := jsonOf(reader["SecretString"])
		for _, want := range []string{getAtt, `{"Ref":"` + keyID + `"}`, `\"prefix\":\"keel/` + s.Name + `/\"`, `\"bucket\":\"`, `\"region\":\"`} {
			if !strings.Contains(value, want) {
				t.Errorf("the reader secret's value lacks %s:\n%s", want, value)
			}
		}
		if reader["GenerateSecretString"] != nil || len(tagsOf(reader)) != 1 { // only the stage tag
			t.Errorf("the reader secret is generated or tagged as a placeholder: %s", jsonOf(reader))
		}
	})
}

// TestFoundationSecrets: the two secrets the service reads exist under the names the vault
// command and the deploy check use, with a generated placeholder and the tag that marks it,
// retained, encrypted with the stage's key, and exported for the service stack.
func TestFoundationSecrets(t *testing.T) {
	forEachFoundation(t, func(t *testing.T, s settings.Stage, tp template) {
		for name, export := range map[string]string{stagesecrets.ConfigName(s.Name): "vsync-config-arn", stagesecrets.PassphraseName(s.Name): "vsync-passphrase-arn"} {
			id, sec := secretIDNamed(t, tp, name)
			if tagsOf(sec)[stagesecrets.PlaceholderTag] != stagesecrets.PlaceholderTagValue {
				t.Errorf("%s lacks the placeholder tag: %s", name, jsonOf(sec["Tags"]))
			}
			if jsonOf(sec["GenerateSecretString"]) != `{"ExcludePunctuation":true,"PasswordLength":32}` || sec["SecretString"] != nil {
				t.Errorf("%s is not a generated placeholder: %s", name, jsonOf(sec))
			}
			if r := tp["Resources"].(map[string]any)[id].(map[string]any); r["DeletionPolicy"] != "Retain" {
				t.Errorf("%s is not retained", name)
			}
			if wantKey := s.Foundation.CustomerManagedKey; (sec["KmsKeyId"] != nil) != wantKey {
				t.Errorf("%s KmsKeyId %v, customer-managed key %v", name, sec["KmsKeyId"], wantKey)
			}
			out := outputExporting(tp, "keel-"+s.Name+"-"+export)
			if jsonOf(out["Value"]) != `{"Ref":"`+id+`"}` {
				t.Errorf("export keel-%s-%s = %v, want the ARN of %s", s.Name, export, jsonOf(out), name)
			}
		}
		if s.Foundation.CustomerManagedKey {
			keyID, key := only(t, tp, "AWS::KMS::Key")
			if key["EnableKeyRotation"] != true || jsonOf(outputExporting(tp, "keel-"+s.Name+"-vault-key-arn")["Value"]) != `{"Fn::GetAtt":["`+keyID+`","Arn"]}` {
				t.Errorf("key %s, not rotated or not exported", jsonOf(key))
			}
		}
	})
}

// TestServiceImportsWhatTheFoundationExports: every Fn::ImportValue of a service stack names
// an export of its stage's foundation.
func TestServiceImportsWhatTheFoundationExports(t *testing.T) {
	a := app(t)
	for _, name := range settings.Names {
		imports := 0
		for _, part := range strings.Split(jsonOf(a.templates[name]), `{"Fn::ImportValue":"`)[1:] {
			export, _, _ := strings.Cut(part, `"`)
			if outputExporting(a.foundation[name], export) == nil {
				t.Errorf("%s: the service imports %s, which its foundation does not export", name, export)
			}
			imports++
		}
		if imports == 0 {
			t.Errorf("%s: the service imports nothing from its foundation", name)
		}
	}
}

// TestNamesAgreeWithTheVaultCommand: infra cannot import app, so the names and the tag are
// written on both sides; they must agree (and keel-stage's names with the stack's).
func TestNamesAgreeWithTheVaultCommand(t *testing.T) {
	a := app(t)
	for _, name := range settings.Names {
		n := a.built[name].Settings.FoundationNames()
		for _, pair := range [][2]string{
			{n.ConfigSecret, stagesecrets.ConfigName(name)},
			{n.PassphraseSecret, stagesecrets.PassphraseName(name)},
			{n.ReaderSecret, stagesecrets.ReaderName(name)},
			{n.Stack, *a.built[name].Foundation.StackName()},
		} {
			if pair[0] != pair[1] {
				t.Errorf("infra names %q, the vault command %q", pair[0], pair[1])
			}
		}
	}
	if foundation.PlaceholderTag != stagesecrets.PlaceholderTag || foundation.PlaceholderTagValue != stagesecrets.PlaceholderTagValue {
		t.Error("the placeholder tag differs between infra/foundation and app/stagesecrets")
	}
}

// TestImportedSecretsAccepted: the import path's rules let real complete ARNs through,
// including one whose random suffix happens to be a lowercase word when its name is given.
func TestImportedSecretsAccepted(t *testing.T) {
	for name, sec := range map[string]map[string]any{
		"random suffixes":           imported(),
		"word suffix with its name": imported("configArn", secretARN("eu-west-1", "123456789012", "keel/prod/vsync-config"), "configName", "keel/prod/vsync"),
		"kms key":                   imported("kmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
	} {
		if _, err := settings.FromContext(prod(sec)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func secretNamed(t *testing.T, tp template, name string) map[string]any {
	t.Helper()
	_, p := secretIDNamed(t, tp, name)
	return p
}

func secretIDNamed(t *testing.T, tp template, name string) (string, map[string]any) {
	t.Helper()
	for id, r := range tp.resources("AWS::SecretsManager::Secret") {
		if p := r["Properties"].(map[string]any); p["Name"] == name {
			return id, p
		}
	}
	t.Fatalf("no secret named %s", name)
	return "", nil
}

func tagsOf(props map[string]any) map[string]string {
	tags := map[string]string{}
	for _, tag := range anySlice(props["Tags"]) {
		tags[get(tag, "Key").(string)] = get(tag, "Value").(string)
	}
	return tags
}

func outputExporting(tp template, export string) map[string]any {
	for _, o := range tp["Outputs"].(map[string]any) {
		if get(o, "Export", "Name") == export {
			return o.(map[string]any)
		}
	}
	return nil
}
