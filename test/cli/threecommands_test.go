package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelstack/keel/app/stagesecrets"
	"github.com/keelstack/keel/app/vsync/vsynctest"
	"github.com/keelstack/keel/test/internal/testenv"
)

// TestThreeCommandsThroughMake runs the README's three commands through make, with the CDK
// CLI replaced by a script that records its arguments, a local S3 server and the Secrets
// Manager stand-in holding what the foundation creates: make deploy refuses before the CDK is
// called while the secrets hold their placeholders, make publish fills them, and make deploy
// then calls the CDK for the service stack only.
func TestThreeCommandsThroughMake(t *testing.T) {
	root := testenv.RepoRoot(t)
	testenv.Tool(t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	s3 := vsynctest.StartGoFakeS3(t)
	sm := vsynctest.StartSecretsManager(t)
	placeholder := map[string]string{stagesecrets.PlaceholderTag: stagesecrets.PlaceholderTagValue}
	sm.Create(stagesecrets.ConfigName("dev"), "PlaceholderGeneratedByCloudForm1", placeholder)
	sm.Create(stagesecrets.PassphraseName("dev"), "PlaceholderGeneratedByCloudForm2", placeholder)
	reader, _ := json.Marshal(stagesecrets.Reader{AccessKeyID: vsynctest.AccessKey, SecretAccessKey: vsynctest.SecretKey,
		Bucket: vsynctest.Bucket, Prefix: "keel/dev/", Region: vsynctest.Region})
	sm.Create(stagesecrets.ReaderName("dev"), string(reader), nil)

	dir := t.TempDir()
	calls := filepath.Join(dir, "cdk-calls")
	fakeCDK := filepath.Join(dir, "cdk")
	if err := os.WriteFile(fakeCDK, []byte("#!/bin/sh\necho \"$*\" >> "+calls+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	// The AWS CLI that make deploy's alarm check calls: the service stack does not exist yet.
	bin := filepath.Join(dir, "bin")
	fakeAWS := "#!/bin/sh\necho \"An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id keel-dev does not exist\" >&2\nexit 254\n"
	if err := os.MkdirAll(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAWS), 0o700); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, ".env.dev")
	if err := os.WriteFile(envFile, []byte("DATABASE_URL=postgres://app:make-secret@db/app\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := offlineEnv("PATH="+bin+":"+os.Getenv("PATH"), "AWS_ACCESS_KEY_ID="+vsynctest.AccessKey, "AWS_SECRET_ACCESS_KEY="+vsynctest.SecretKey,
		"KEEL_SECRETS_ENDPOINT="+sm.Endpoint, "VAULT_SECRETS_ENDPOINT="+sm.Endpoint, "VAULT_ENDPOINT="+s3.Endpoint)
	runMake := func(args ...string) (string, error) {
		return runIn(t, root, env, "make", append([]string{"-s", "CDK=" + fakeCDK}, args...)...)
	}
	cdkCalls := func() string { b, _ := os.ReadFile(calls); return string(b) }

	if log, err := runMake("foundation", "STAGE=dev"); err != nil || !strings.HasPrefix(cdkCalls(), "deploy dev/Foundation ") {
		t.Fatalf("make foundation: %v\n%s\nCDK called with %q", err, log, cdkCalls())
	}
	os.Remove(calls)

	log, err := runMake("deploy", "STAGE=dev")
	if err == nil || !strings.Contains(log, "keel/dev/vsync-config still holds the placeholder") || !strings.Contains(log, "run make publish STAGE=dev ENV_FILE=.env.dev first") {
		t.Fatalf("make deploy on placeholders: %v\n%s", err, log)
	}
	if cdkCalls() != "" {
		t.Fatalf("make deploy called the CDK before refusing: %q", cdkCalls())
	}

	if log, err := runMake("publish", "STAGE=dev"); err == nil || !strings.Contains(log, "ENV_FILE is required") {
		t.Fatalf("make publish without ENV_FILE: %v\n%s", err, log)
	}
	for range 2 { // idempotent
		if log, err := runMake("publish", "STAGE=dev", "ENV_FILE="+envFile); err != nil {
			t.Fatalf("make publish: %v\n%s", err, log)
		} else if strings.Contains(log, "make-secret") || strings.Contains(log, sm.Value(stagesecrets.PassphraseName("dev"))) {
			t.Fatalf("make publish printed a secret:\n%s", log)
		}
	}
	if sm.Versions(stagesecrets.ConfigName("dev")) != 2 {
		t.Errorf("two publishes of one file left %d token versions, want 2", sm.Versions(stagesecrets.ConfigName("dev")))
	}

	if log, err := runMake("deploy", "STAGE=dev"); err != nil || !strings.HasPrefix(cdkCalls(), "deploy dev/Service ") {
		t.Fatalf("make deploy after publish: %v\n%s\nCDK called with %q", err, log, cdkCalls())
	}
}
