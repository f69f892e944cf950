// Package stagesecrets reads and writes a stage's vault secrets in AWS Secrets Manager (the
// token, the passphrase and the reader's key that the foundation stack creates) and tells a
// secret that holds a value from one that still holds its placeholder.
//
// infra/foundation creates the secrets with the names and the tag below; infra cannot import
// this module, so test/infra checks that both sides agree.
package stagesecrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Names of a foundation stage's secrets.
func ConfigName(stage string) string     { return "keel/" + stage + "/vsync-config" }
func PassphraseName(stage string) string { return "keel/" + stage + "/vsync-passphrase" }
func ReaderName(stage string) string     { return "keel/" + stage + "/vault-reader" }

// PlaceholderTag marks a secret the foundation created with a generated placeholder value,
// to be replaced by `vault publish`.
const (
	PlaceholderTag      = "keel:initial-value"
	PlaceholderTagValue = "placeholder"
)

// Client is the part of the Secrets Manager API this package uses; *secretsmanager.Client
// implements it.
type Client interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// NewClient is a Secrets Manager client for region from cfg, at endpoint when it is not empty
// (a local stand-in in tests).
func NewClient(cfg aws.Config, endpoint string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// State is what a secret holds, judged from its metadata alone.
type State int

const (
	// Empty: the secret has no current version (created without a value).
	Empty State = iota
	// Placeholder: the foundation created it with a placeholder and nothing was put since.
	Placeholder
	// Set: it holds a value someone put.
	Set
)

func (s State) String() string {
	return [...]string{"empty", "placeholder", "set"}[s]
}

// Status is a secret's state and the ID of its current version.
type Status struct {
	State          State
	CurrentVersion string
}

// Inspect judges id (a name or a complete ARN) with DescribeSecret only, so that a deployer
// needs no permission to read values. The rule, from Secrets Manager's documented version
// staging: CloudFormation creates a secret with one version labelled AWSCURRENT; every later
// PutSecretValue (or UpdateSecret with a value) adds a version, moves AWSCURRENT to it and
// AWSPREVIOUS to the one before, and DescribeSecret lists every version that still carries a
// label (VersionIdsToStages). So a secret tagged as created with a placeholder that lists
// exactly one version still holds that placeholder; with two or more, a value was put.
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html#term_version
func Inspect(ctx context.Context, c Client, id string) (Status, error) {
	out, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		return Status{}, describeErr(id, err)
	}
	st := Status{State: Empty}
	for version, stages := range out.VersionIdsToStages {
		for _, s := range stages {
			if s == "AWSCURRENT" {
				st.CurrentVersion, st.State = version, Set
			}
		}
	}
	if st.State == Set && len(out.VersionIdsToStages) == 1 && hasPlaceholderTag(out.Tags) {
		st.State = Placeholder
	}
	return st, nil
}

func hasPlaceholderTag(tags []types.Tag) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == PlaceholderTag && aws.ToString(t.Value) == PlaceholderTagValue {
			return true
		}
	}
	return false
}

// Read returns the current value of id.
func Read(ctx context.Context, c Client, id string) (string, error) {
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return "", describeErr(id, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("secret %s holds a binary value, not a string", id)
	}
	return *out.SecretString, nil
}

// Write makes value the current version of id. The SDK fills ClientRequestToken and reuses it
// when it retries, so a retry after a lost response does not add a second version.
func Write(ctx context.Context, c Client, id, value string) error {
	_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(value)})
	if err != nil {
		return describeErr(id, err)
	}
	return nil
}

// ReplacePlaceholder puts value in place of the placeholder version st.CurrentVersion, once:
// the ClientRequestToken is derived from that version, and Secrets Manager refuses a second
// version with the same token but other content. Of two writers racing, the first wins and
// the other gets its value back; a retried request with the same value succeeds. It returns
// the value the secret holds afterwards.
func ReplacePlaceholder(ctx context.Context, c Client, id string, st Status, value string) (string, error) {
	if st.State != Placeholder {
		return "", fmt.Errorf("secret %s: holds no placeholder (%s)", id, st.State)
	}
	_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(id),
		SecretString:       aws.String(value),
		ClientRequestToken: aws.String(replaceToken(st.CurrentVersion)),
	})
	if err == nil {
		return value, nil
	}
	// Another writer may have won: what the secret holds now is the answer.
	now, ierr := Inspect(ctx, c, id)
	if ierr != nil || now.State != Set {
		return "", describeErr(id, err)
	}
	return Read(ctx, c, id)
}

// replaceToken is 32 to 64 characters, as ClientRequestToken requires.
func replaceToken(placeholderVersion string) string {
	t := "keel-replaces-" + placeholderVersion
	for len(t) < 32 {
		t += "0"
	}
	return t[:min(len(t), 64)]
}

// ErrNotFound: the secret does not exist (in this account and region).
var ErrNotFound = errors.New("secret not found")

func describeErr(id string, err error) error {
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("secret %s: %w (check the name or ARN, the region, and that the foundation stack is deployed)", id, ErrNotFound)
	}
	return fmt.Errorf("secret %s: %w", id, err)
}
