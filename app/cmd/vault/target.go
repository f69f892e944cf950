package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/keelstack/keel/app/vsync"
)

// target is where a vault lives and how it is sealed: the flags every command shares, each
// with an environment fallback so that CI can set them once.
type target struct {
	bucket, prefix, endpoint, region, label, salt string
	iterations                                    int
	timeout                                       time.Duration
	badEnv                                        []string // environment fallbacks that do not parse
}

func (t *target) register(fs *flag.FlagSet, e env) {
	get := func(name, def string) string {
		if v, ok := e(name); ok && v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&t.bucket, "bucket", get("VAULT_BUCKET", ""), "bucket name (VAULT_BUCKET)")
	fs.StringVar(&t.prefix, "prefix", get("VAULT_PREFIX", ""), "object key prefix, ending in / (VAULT_PREFIX)")
	fs.StringVar(&t.endpoint, "endpoint", get("VAULT_ENDPOINT", ""), "S3 endpoint URL; empty for AWS (VAULT_ENDPOINT)")
	fs.StringVar(&t.region, "region", get("VAULT_REGION", get("AWS_REGION", "us-east-1")), "signing region (VAULT_REGION, AWS_REGION)")
	fs.StringVar(&t.label, "env", get("VAULT_ENV", ""), "env label carried in the token (VAULT_ENV)")
	fs.StringVar(&t.salt, "salt", get("VAULT_SALT", ""), "the vault's PBKDF2 salt, 16+ characters; `vault salt` makes one (VAULT_SALT)")
	iterations := get("VAULT_ITERATIONS", "")
	t.iterations = defaultIterations
	if iterations != "" {
		if n, err := strconv.Atoi(iterations); err == nil {
			t.iterations = n
		} else {
			t.iterations = -1 // check reports it, naming the variable
			t.badEnv = append(t.badEnv, "VAULT_ITERATIONS="+iterations+" is not a whole number")
		}
	}
	fs.IntVar(&t.iterations, "iterations", t.iterations, "the vault's PBKDF2 iteration count (VAULT_ITERATIONS)")
	t.timeout = defaultTimeout
	if v := get("VAULT_TIMEOUT", ""); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			t.timeout = d
		} else {
			t.timeout = -1
			t.badEnv = append(t.badEnv, "VAULT_TIMEOUT="+v+" is not a duration (for example 15s)")
		}
	}
	fs.DurationVar(&t.timeout, "timeout", t.timeout, "bound on each S3 request attempt; a write whose answer does not come in time is re-read to learn its outcome (VAULT_TIMEOUT)")
}

// defaultTimeout is the per-attempt bound the service's reader uses too.
const defaultTimeout = 15 * time.Second

// defaultIterations is the reference count every upstream writer uses.
const defaultIterations = 600_000

// config is the reader config for this target with the given key (empty for writers).
func (t target) config(accessKeyID, secretAccessKey string) vsync.Config {
	return vsync.Config{V: 1, Endpoint: t.endpoint, Region: t.region, Bucket: t.bucket, AccessKeyID: accessKeyID,
		SecretAccessKey: secretAccessKey, Prefix: t.prefix, Env: t.label, Salt: t.salt, Iterations: t.iterations}
}

// check refuses what would write an unreadable or misplaced vault, before anything is written.
func (t target) check() error {
	problems := append([]string(nil), t.badEnv...)
	if t.bucket == "" {
		problems = append(problems, "--bucket is required")
	}
	if t.prefix == "" || !strings.HasSuffix(t.prefix, "/") {
		problems = append(problems, fmt.Sprintf("--prefix %q must be non-empty and end with / (for example team/app/prod/)", t.prefix))
	}
	if len(t.salt) < 16 {
		problems = append(problems, "--salt must be at least 16 characters: use the vault's salt, or `vault salt` for a new vault")
	}
	if t.timeout <= 0 {
		problems = append(problems, "--timeout (VAULT_TIMEOUT) must be a positive duration")
	}
	if t.iterations < 1 || t.iterations > vsync.MaxIterations {
		problems = append(problems, fmt.Sprintf("--iterations (VAULT_ITERATIONS) must be 1 to %d (600000 is the reference)", vsync.MaxIterations))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", errUsage, strings.Join(problems, "; "))
	}
	return nil
}

// checkWritable refuses an iteration count below the writer's floor before anything is read
// or written; readers still open older vaults below it (with a warning), so only writes check.
func (t target) checkWritable(iterations int, flag string) error {
	if iterations < vsync.MinIterations {
		return fmt.Errorf("%w: %s %d is below the writer's floor of %d PBKDF2-HMAC-SHA256 iterations (OWASP's current guidance): "+
			"a lower count makes guessing the passphrase from a copied bundle that much cheaper; use %d or more "+
			"(for an existing vault sealed with fewer, vault rotate-passphrase --new-iterations %d re-keys it)",
			errUsage, flag, iterations, vsync.MinIterations, vsync.MinIterations, vsync.MinIterations)
	}
	return nil
}

// bucket is the vault's bucket opened with the operator's credentials: the object store the
// writer uses, and the S3 client for what the writer does not do (listing, versions, lifecycle).
type bucket struct {
	store  *vsync.S3Store
	client *s3.Client
	name   string
}

// writer is the bucket with the standard AWS credential chain. Instance metadata is off: this
// runs on laptops and CI runners, where probing it only adds a timeout.
func (t target) writer(ctx context.Context) (bucket, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(t.region), config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	if err != nil {
		return bucket{}, fmt.Errorf("%w: AWS configuration: %v", errUsage, err)
	}
	client := vsync.NewS3Client(t.endpoint, t.region, cfg.Credentials, t.withTimeout)
	return bucket{store: vsync.NewS3Store(client, t.bucket), client: client, name: t.bucket}, nil
}

// reader is the bucket as the token's key sees it: the service's client, with this timeout.
func (t target) reader(cfg vsync.Config) *vsync.S3Store {
	creds := credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	return vsync.NewS3Store(vsync.NewS3Client(cfg.Endpoint, cfg.Region, creds, t.withTimeout), cfg.Bucket)
}

func (t target) withTimeout(o *s3.Options) {
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(t.timeout)
}

func (t target) where() string { return "s3://" + t.bucket + "/" + t.prefix }

// describe turns an S3 failure into the class and advice an operator needs.
func describe(err error, action string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden", "403":
			return fmt.Errorf("%w: cannot %s: %s: check the key and its policy (wrong or disabled key, or no permission on the prefix)", errAccessDenied, action, ae.ErrorCode())
		case "NoSuchBucket":
			return fmt.Errorf("cannot %s: the bucket does not exist", action)
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host") {
		return fmt.Errorf("%w: cannot %s: %v: check --endpoint, DNS and the network", errUnreachable, action, err)
	}
	if strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role") {
		return fmt.Errorf("%w: cannot %s: no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", errAccessDenied, action)
	}
	return fmt.Errorf("cannot %s: %w", action, err)
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vault "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	return nil
}
