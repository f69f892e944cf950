package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
	"github.com/keelstack/keel/test/internal/testenv"
)

// iterations is the writer's floor: the vault CLI, like a real operator, cannot go below it.
const iterations = 600_000

// faultBench is one versitygw (versioning on, so that retirement must remove versions too) that
// every case of the vault integrity tests shares, each case under its own prefix and behind its
// own fault proxy.
type faultBench struct {
	gw       *vsynctest.S3Server
	gwBin    string
	vaultBin string
	root     *s3.Client
	keys     map[string][]byte // "old" and "new": the two passphrases' keys, derived once
}

func newFaultBench(t *testing.T) *faultBench {
	t.Helper()
	bin := testenv.Tool(t, ".tools/bin/versitygw", "scripts/install-tools versitygw")
	dir := t.TempDir()
	versions := filepath.Join(dir, "versions")
	if err := os.Mkdir(versions, 0o700); err != nil {
		t.Fatal(err)
	}
	gw, err := vsynctest.LaunchVersityGW(bin, dir, "", "--versioning-dir", versions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Stop)
	vaultBin, err := testenv.BuildGo(t.TempDir(), "app/cmd/vault")
	if err != nil {
		t.Fatal(err)
	}
	b := &faultBench{gw: gw, gwBin: bin, vaultBin: vaultBin,
		root: vsync.NewS3Client(gw.Endpoint, vsynctest.Region, credentials.NewStaticCredentialsProvider(vsynctest.AccessKey, vsynctest.SecretKey, "")),
		keys: map[string][]byte{"old": vsync.DeriveKey(passphrase, salt, iterations), "new": vsync.DeriveKey(newPass, salt, iterations)}}
	_, err = b.root.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(vsynctest.Bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	if err != nil {
		t.Fatal(err)
	}
	b.setReaders(t, map[string]string{readerKey: readerSecret})
	return b
}

// setReaders makes the bucket readable by exactly these keys (versitygw IAM users, created if
// new), each limited to GetObject: what a token's key may do.
func (b *faultBench) setReaders(t *testing.T, keys map[string]string) {
	t.Helper()
	var principals []string
	for key, secret := range keys {
		out, err := exec.Command(b.gwBin, "admin", "--access", vsynctest.AccessKey, "--secret", vsynctest.SecretKey, "--endpoint-url", b.gw.Endpoint,
			"create-user", "--access", key, "--secret", secret, "--role", "user").CombinedOutput()
		if err != nil && !strings.Contains(string(out), "exists") {
			t.Fatalf("create-user %s: %v: %s", key, err, out)
		}
		principals = append(principals, fmt.Sprintf("%q", key))
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[%s]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/*"]}]}`,
		strings.Join(principals, ","), vsynctest.Bucket)
	if _, err := b.root.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(vsynctest.Bucket), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
}

func (b *faultBench) deleteUser(t *testing.T, key string) {
	t.Helper()
	out, err := exec.Command(b.gwBin, "admin", "--access", vsynctest.AccessKey, "--secret", vsynctest.SecretKey, "--endpoint-url", b.gw.Endpoint,
		"delete-user", "--access", key).CombinedOutput()
	if err != nil {
		t.Fatalf("delete-user %s: %v: %s", key, err, out)
	}
}

// seed publishes generation 1 under prefix (key GEN_1) and returns the reader token for it.
func (b *faultBench) seed(t *testing.T, prefix string) string {
	t.Helper()
	cfg := b.gw.Config(prefix, "faults", salt, iterations)
	if _, err := vsync.Publish(context.Background(), b.gw.Store(), cfg, passphrase, vsync.Release{KV: map[string]string{"GEN_1": vaultSecret}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	cfg.AccessKeyID, cfg.SecretAccessKey = readerKey, readerSecret
	token, err := vsync.EncodeConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// result is one run of the vault command.
type result struct {
	code           int
	stdout, stderr string
	killed         bool
}

// run runs the vault command against endpoint. With killAfter, it is sent SIGKILL as soon as
// the proxy has answered the first request that killAfter matches.
func (b *faultBench) run(t *testing.T, env []string, proxy *vsynctest.FaultProxy, killAfter *vsynctest.Rule, args ...string) result {
	t.Helper()
	cmd := exec.Command(b.vaultBin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=" + vsynctest.AccessKey, "AWS_SECRET_ACCESS_KEY=" + vsynctest.SecretKey,
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "VAULT_TIMEOUT=1s"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var r result
	if killAfter != nil {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		r.killed = waitAnswered(proxy, *killAfter, done)
		if r.killed {
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		err := <-done
		r.code = exitStatus(t, err)
		if r.killed && !proxy.Quiesce(10*time.Second) {
			t.Fatal("the fault proxy was still serving the killed command's requests after 10s")
		}
	} else {
		r.code = exitStatus(t, cmd.Wait())
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	noSecrets(t, "vault "+args[0], r.stderr)
	if args[0] != "token" {
		noSecrets(t, "vault "+args[0], r.stdout)
	}
	return r
}

// waitAnswered returns true once the proxy has answered a request rule matches, false when the
// command ended first.
func waitAnswered(proxy *vsynctest.FaultProxy, rule vsynctest.Rule, done chan error) bool {
	key := regexp.MustCompile(rule.Key)
	for {
		for _, req := range proxy.Log() {
			if req.Method == rule.Method && key.MatchString(req.Key) && req.Status != 0 {
				return true
			}
		}
		select {
		case err := <-done:
			done <- err
			return false
		case <-time.After(time.Millisecond):
		}
	}
}

func exitStatus(t *testing.T, err error) int {
	t.Helper()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		if exit.ExitCode() < 0 {
			return -1 // killed
		}
		return exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func noSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, secret := range []string{passphrase, newPass, vaultSecret, readerSecret, vsynctest.SecretKey, "vsync-cfg-v1:"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s printed a secret (%.10s...)", what, secret)
		}
	}
}

// state is what the bucket holds under a prefix.
type state struct {
	ts       string // the bundle the manifest names
	gen      int    // the generation the manifest payload gives it
	metaGen  int    // latest.meta's generation
	bundles  int    // bundle objects, every version counted
	openWith string // which passphrase opens the live bundle: "old", "new" or ""
}

func (b *faultBench) state(t *testing.T, prefix string) state {
	t.Helper()
	ctx := context.Background()
	store := b.gw.Store()
	var s state
	manifest, _, err := store.GetObject(ctx, prefix+"manifest")
	if err != nil {
		t.Fatalf("read the manifest: %v", err)
	}
	if s.ts, err = vsync.ParseManifest(manifest); err != nil {
		t.Fatal(err)
	}
	var payload struct {
		Gen int `json:"gen"`
	}
	_ = json.Unmarshal(manifest[23:], &payload)
	s.gen = payload.Gen
	if meta, _, err := store.GetObject(ctx, prefix+"latest.meta"); err == nil {
		var m struct {
			Gen int `json:"gen"`
		}
		_ = json.Unmarshal(meta, &m)
		s.metaGen = m.Gen
	}
	versions, err := b.root.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(vsynctest.Bucket), Prefix: aws.String(prefix + "v=")})
	if err != nil {
		t.Fatal(err)
	}
	s.bundles = len(versions.Versions) + len(versions.DeleteMarkers)
	if bundle, _, err := store.GetObject(ctx, prefix+"v="+s.ts); err == nil {
		for name, key := range b.keys {
			if _, err := vsync.OpenEnvelope(key, bundle); err == nil {
				s.openWith = name
			}
		}
	}
	return s
}

// listing is every object version in the bucket with its ETag: what "nothing was written" compares.
func (b *faultBench) listing(t *testing.T) string {
	t.Helper()
	out, err := b.root.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(vsynctest.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, v := range out.Versions {
		keys = append(keys, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId)+":"+aws.ToString(v.ETag))
	}
	for _, m := range out.DeleteMarkers {
		keys = append(keys, aws.ToString(m.Key)+"@"+aws.ToString(m.VersionId)+":deleted")
	}
	return strings.Join(keys, "\n")
}

// flags are the target flags of a case, against endpoint.
func flags(endpoint, prefix string) []string {
	return []string{"--endpoint", endpoint, "--bucket", vsynctest.Bucket, "--prefix", prefix, "--env", "faults", "--salt", salt, "--iterations", fmt.Sprint(iterations)}
}

// noVersionOpensWith checks every version of every object under prefix: none decrypts with
// pass (as a bundle) however it is fetched.
func (b *faultBench) noVersionOpensWith(t *testing.T, prefix, pass string) {
	t.Helper()
	ctx := context.Background()
	out, err := b.root.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(vsynctest.Bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	key := vsync.DeriveKey(pass, salt, iterations)
	defer clear(key)
	for _, v := range out.Versions {
		obj, err := b.root.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(vsynctest.Bucket), Key: v.Key, VersionId: v.VersionId})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if _, err := vsync.OpenEnvelope(key, body); err == nil {
			t.Errorf("%s (version %s) still opens with the old passphrase", aws.ToString(v.Key), aws.ToString(v.VersionId))
		}
	}
}
