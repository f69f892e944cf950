package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFacts(t *testing.T) {
	dir := t.TempDir()
	write := func(context string) string {
		path := filepath.Join(dir, "cdk.json")
		if err := os.WriteFile(path, []byte(`{"context":{`+context+`}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ask := func(cdkJSON string, args ...string) (string, error) {
		var out strings.Builder
		err := run(args, cdkJSON, &out)
		return strings.TrimSpace(out.String()), err
	}

	foundation := write(`"keel:prod":{"region":"eu-central-1","availabilityZones":["eu-central-1a","eu-central-1b"]}`)
	for field, want := range map[string]string{
		"region": "eu-central-1", "account": "123456789012", "config-secret": "keel/prod/vsync-config",
		"passphrase-secret": "keel/prod/vsync-passphrase", "reader-secret": "keel/prod/vault-reader", "foundation-stack": "keel-prod-foundation",
	} {
		if got, err := ask(foundation, "prod", field); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", field, got, err, want)
		}
	}

	const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/dev/vsync-config-Q1w2E3"
	imported := write(`"keel:dev":{"secrets":{"configArn":"` + arn + `","passphraseArn":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/dev/vsync-passphrase-R4t5Y6"}}`)
	if got, err := ask(imported, "dev", "config-secret"); err != nil || got != arn {
		t.Errorf("imported config-secret = %q, %v", got, err)
	}
	if _, err := ask(imported, "dev", "foundation-stack"); err == nil || !strings.Contains(err.Error(), "keel:dev imports its secrets") {
		t.Errorf("a stage without a foundation: %v", err)
	}

	invalid := write(`"keel:dev":{"secrets":{"configArn":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:keel/dev/vsync-config"}}`)
	if _, err := ask(invalid, "dev", "region"); err == nil || !strings.Contains(err.Error(), "keel:dev.secrets.configArn") {
		t.Errorf("invalid settings: %v", err)
	}
	for _, args := range [][]string{{"qa", "region"}, {"dev", "color"}, {"dev"}} {
		if _, err := ask(foundation, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
