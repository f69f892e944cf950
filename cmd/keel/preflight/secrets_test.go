package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keelstack/keel/app/stagesecrets"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// TestSecretsCheck: the deploy refuses while a secret holds the foundation's placeholder
// (naming the command to run) or does not exist, and passes once values are put, with a key
// that may call DescribeSecret and nothing else.
func TestSecretsCheck(t *testing.T) {
	sm := vsynctest.StartSecretsManager(t)
	sm.AllowKey("deployer", "DescribeSecret")
	placeholder := map[string]string{stagesecrets.PlaceholderTag: stagesecrets.PlaceholderTagValue}
	sm.Create(stagesecrets.ConfigName("dev"), "GeneratedPlaceholder0123456789ab", placeholder)
	passphraseARN := sm.Create(stagesecrets.PassphraseName("dev"), "GeneratedPlaceholder0123456789cd", placeholder)
	byHand := sm.Create("team/dev/hand-made", "a value put by hand", nil)

	root := repoWith(t, pinned) // only the secrets are judged here
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "deployer", "AWS_SECRET_ACCESS_KEY": "deployer-secret",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"} {
		t.Setenv(k, v)
	}
	check := func(secrets ...string) (string, error) {
		args := []string{"--root", root, "--stage", "dev", "--region", vsynctest.Region, "--secrets-endpoint", sm.Endpoint}
		for _, s := range secrets {
			args = append(args, "--secret", s)
		}
		var out strings.Builder
		err := run(context.Background(), args, &out)
		return out.String(), err
	}

	out, err := check(stagesecrets.ConfigName("dev"), passphraseARN, byHand)
	for _, want := range []string{
		"preflight: secrets: secret keel/dev/vsync-config still holds the placeholder the foundation created it with: run make publish STAGE=dev ENV_FILE=.env.dev first",
		"preflight: secrets: secret " + passphraseARN + " still holds the placeholder",
		"refusing to deploy dev: 2 problem(s)",
	} {
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("with placeholders: %v\n%s\nwant %q", err, out, want)
		}
	}
	if strings.Contains(out, "hand-made") {
		t.Errorf("a secret created by hand with a value was refused:\n%s", out)
	}
	if out, err := check("keel/dev/never-created"); err == nil || !strings.Contains(out, "not found") {
		t.Errorf("a missing secret: %v\n%s", err, out)
	}

	// What vault publish does: put the real values.
	client := stagesecrets.NewClient(aws.Config{Region: vsynctest.Region,
		Credentials: credentials.NewStaticCredentialsProvider(vsynctest.AccessKey, vsynctest.SecretKey, "")}, sm.Endpoint)
	for _, name := range []string{stagesecrets.ConfigName("dev"), stagesecrets.PassphraseName("dev")} {
		if err := stagesecrets.Write(context.Background(), client, name, "published value of "+name); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := check(stagesecrets.ConfigName("dev"), passphraseARN, byHand); err != nil || out != "" {
		t.Fatalf("after publishing: %v\n%s", err, out)
	}
	if sm.Calls("GetSecretValue") != 0 {
		t.Errorf("the check read %d secret values; it must read metadata only", sm.Calls("GetSecretValue"))
	}
}

// TestSecretsCheckWithoutCredentials: no credentials is no check, and the command says so
// instead of passing in silence.
func TestSecretsCheckWithoutCredentials(t *testing.T) {
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"} {
		t.Setenv(k, v)
	}
	code, out := preflight(t, repoWith(t, pinned), "--stage", "dev", "--region", "eu-west-1", "--secret", "keel/dev/vsync-config")
	want := "preflight: skipped: secrets: not checked: no AWS credentials (environment, shared files or AWS_PROFILE)"
	if code != 0 || !strings.HasPrefix(out, want) || !strings.Contains(out, "keel/dev/vsync-config hold published values") {
		t.Errorf("exit %d, printed:\n%s\nwant a line starting %q", code, out, want)
	}
}
