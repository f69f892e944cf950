package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keelstack/keel/app/stagesecrets"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// TestPlaceholderCheck: the deploy check refuses while a secret holds the foundation's
// placeholder (naming the command to run) or no value, and passes once values are put, with a
// key that may call DescribeSecret and nothing else.
func TestPlaceholderCheck(t *testing.T) {
	sm := vsynctest.StartSecretsManager(t)
	const deployer, deployerSecret = "deployer", "deployer-secret"
	sm.AllowKey(deployer, "DescribeSecret")
	placeholder := map[string]string{stagesecrets.PlaceholderTag: stagesecrets.PlaceholderTagValue}
	sm.Create(stagesecrets.ConfigName("dev"), "GeneratedPlaceholder0123456789ab", placeholder)
	passphraseARN := sm.Create(stagesecrets.PassphraseName("dev"), "GeneratedPlaceholder0123456789cd", placeholder)
	imported := sm.Create("team/dev/hand-made", "a value put by hand", nil)

	check := func(secrets ...string) (string, error) {
		args := []string{"--stage", "dev", "--region", vsynctest.Region}
		for _, s := range secrets {
			args = append(args, "--secret", s)
		}
		env := map[string]string{"KEEL_SECRETS_ENDPOINT": sm.Endpoint, "AWS_ACCESS_KEY_ID": deployer, "AWS_SECRET_ACCESS_KEY": deployerSecret,
			"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
		for k, v := range env {
			t.Setenv(k, v)
		}
		var out, errOut strings.Builder
		err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
		return out.String(), err
	}

	_, err := check(stagesecrets.ConfigName("dev"), passphraseARN, imported)
	for _, want := range []string{
		"not deploying dev",
		"secret keel/dev/vsync-config still holds the placeholder the foundation created it with: run make publish STAGE=dev ENV_FILE=.env.dev first",
		"secret " + passphraseARN + " still holds the placeholder",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("with placeholders: %v\nwant %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "hand-made") {
		t.Errorf("a secret created by hand with a value was refused: %v", err)
	}
	if _, err := check("keel/dev/never-created"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("a missing secret: %v", err)
	}

	// What vault publish does: put the real values.
	sm.AllowKey(vsynctest.AccessKey)
	client := stagesecrets.NewClient(staticConfig(), sm.Endpoint)
	for _, name := range []string{stagesecrets.ConfigName("dev"), stagesecrets.PassphraseName("dev")} {
		if err := stagesecrets.Write(context.Background(), client, name, "published value of "+name); err != nil {
			t.Fatal(err)
		}
	}
	out, err := check(stagesecrets.ConfigName("dev"), passphraseARN, imported)
	if err != nil || !strings.Contains(out, "3 secrets hold values") {
		t.Fatalf("after publishing: %q, %v", out, err)
	}
	if sm.Calls("GetSecretValue") != 0 {
		t.Errorf("the check read %d secret values; it must read metadata only", sm.Calls("GetSecretValue"))
	}
}

func staticConfig() aws.Config {
	return aws.Config{Region: vsynctest.Region, Credentials: credentials.NewStaticCredentialsProvider(vsynctest.AccessKey, vsynctest.SecretKey, "")}
}
