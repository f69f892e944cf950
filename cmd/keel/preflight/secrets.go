package preflight

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/keelstack/keel/app/stagesecrets"
)

// stageSecrets are the secrets the service reads, as make deploy names them (keel-stage).
type stageSecrets struct {
	region, endpoint string
	ids              secretList
}

type secretList []string

func (s *secretList) String() string     { return strings.Join(*s, ",") }
func (s *secretList) Set(v string) error { *s = append(*s, v); return nil }

func (s *stageSecrets) register(fs *flag.FlagSet) {
	fs.StringVar(&s.region, "region", "", "the stage's region, where its secrets are")
	fs.StringVar(&s.endpoint, "secrets-endpoint", os.Getenv("KEEL_SECRETS_ENDPOINT"), "Secrets Manager endpoint URL; empty for AWS (KEEL_SECRETS_ENDPOINT)")
	fs.Var(&s.ids, "secret", "a secret the service reads, by name or complete ARN (repeatable)")
}

// secretsHoldValues refuses while a secret the service reads has no value or still holds the
// placeholder the foundation created it with: tasks could not open the vault, and the first
// deployment would wait out its health checks and roll back. It reads metadata only
// (secretsmanager:DescribeSecret, which the CI deploy role has), never a value. It runs when a
// deploy names the secrets and AWS credentials are there; without credentials it reports that
// it skipped (make deploy then stops at its credentials step, so nothing is deployed unchecked).
func secretsHoldValues(ctx context.Context, t target) ([]problem, error) {
	if !t.deploying() || len(t.secrets.ids) == 0 {
		return nil, nil
	}
	if t.secrets.region == "" {
		return nil, errors.New("--region is required with --secret")
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(t.secrets.region), config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return []problem{{where: "secrets", skipped: true,
			message: fmt.Sprintf("not checked: no AWS credentials (environment, shared files or AWS_PROFILE); with credentials for the stage's account it checks that %s hold published values", strings.Join(t.secrets.ids, " and "))}}, nil
	}
	fix := fmt.Sprintf("make publish STAGE=%s ENV_FILE=.env.%s", t.stage, t.stage)
	err = stagesecrets.CheckDeployable(ctx, stagesecrets.NewClient(cfg, t.secrets.endpoint), t.secrets.ids, fix)
	var out []problem
	for _, e := range unjoin(err) {
		out = append(out, problem{where: "secrets", message: e.Error(), blocking: true})
	}
	return out, nil
}

// unjoin lists the errors errors.Join combined (nil for nil).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}
