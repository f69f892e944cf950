package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/keelstack/keel/app/stagesecrets"
)

// secretIDs names a stage's three secrets in Secrets Manager (names or complete ARNs), as the
// foundation stack creates them; each flag has an environment fallback.
type secretIDs struct {
	config, passphrase, reader, endpoint string
}

func (s *secretIDs) register(fs *flag.FlagSet, e env) {
	get := func(name string) string { v, _ := e(name); return v }
	fs.StringVar(&s.config, "config-secret", get("VAULT_CONFIG_SECRET"), "secret that receives the token, VSYNC_CONFIG (VAULT_CONFIG_SECRET)")
	fs.StringVar(&s.passphrase, "passphrase-secret", get("VAULT_PASSPHRASE_SECRET"), "secret holding the passphrase, VSYNC_PASSPHRASE; a placeholder is replaced by a generated one (VAULT_PASSPHRASE_SECRET)")
	fs.StringVar(&s.reader, "reader-secret", get("VAULT_READER_SECRET"), "secret holding the read-only key and the vault's bucket, prefix and region (VAULT_READER_SECRET)")
	fs.StringVar(&s.endpoint, "secrets-endpoint", get("VAULT_SECRETS_ENDPOINT"), "Secrets Manager endpoint URL; empty for AWS (VAULT_SECRETS_ENDPOINT)")
}

func (s secretIDs) check() error {
	var missing []string
	for _, f := range []struct{ flag, v string }{{"--config-secret", s.config}, {"--passphrase-secret", s.passphrase}, {"--reader-secret", s.reader}} {
		if f.v == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s required (make publish passes the foundation's names, keel/<stage>/...)", errUsage, strings.Join(missing, ", "))
	}
	return nil
}

// client is Secrets Manager in region with the standard credential chain (instance metadata
// off, as for the bucket).
func (s secretIDs) client(ctx context.Context, region string) (stagesecrets.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	if err != nil {
		return nil, fmt.Errorf("%w: AWS configuration: %v", errUsage, err)
	}
	return stagesecrets.NewClient(cfg, s.endpoint), nil
}

// newPassphrase is 256 random bits, URL-safe base64 (43 characters).
func newPassphrase() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
