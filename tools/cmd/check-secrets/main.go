// Command check-secrets refuses a deploy while one of the stage's secrets has no value or
// still holds the placeholder the foundation created it with: tasks could not open the vault,
// and the first deployment would wait out its health checks and roll back. `make deploy` runs
// it before CloudFormation is called. It reads metadata only (secretsmanager:DescribeSecret),
// never a secret's value.
//
//	check-secrets --stage prod --region eu-west-1 --secret keel/prod/vsync-config --secret keel/prod/vsync-passphrase
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/keelstack/keel/app/stagesecrets"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "check-secrets:", err)
		os.Exit(1)
	}
}

type secretList []string

func (s *secretList) String() string     { return strings.Join(*s, ",") }
func (s *secretList) Set(v string) error { *s = append(*s, v); return nil }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-secrets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stage := fs.String("stage", "", "the stage, for the command the message names")
	region := fs.String("region", "", "the stage's region")
	endpoint := fs.String("endpoint", getenv("KEEL_SECRETS_ENDPOINT"), "Secrets Manager endpoint URL; empty for AWS (KEEL_SECRETS_ENDPOINT)")
	var ids secretList
	fs.Var(&ids, "secret", "a secret the service reads, by name or complete ARN (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *stage == "" || *region == "" || len(ids) == 0 {
		return errors.New("--stage, --region and at least one --secret are required")
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(*region), config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	if err != nil {
		return fmt.Errorf("AWS configuration: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	fix := fmt.Sprintf("make publish STAGE=%s ENV_FILE=.env.%s", *stage, *stage)
	if err := stagesecrets.CheckDeployable(ctx, stagesecrets.NewClient(cfg, *endpoint), ids, fix); err != nil {
		return fmt.Errorf("not deploying %s, nothing was changed:\n%w", *stage, err)
	}
	fmt.Fprintf(stdout, "check-secrets: %s's %d secrets hold values\n", *stage, len(ids))
	return nil
}
