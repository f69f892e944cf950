package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
	"github.com/keelstack/keel/test/internal/testenv"
)

const (
	readerKey    = "keel-reader"
	readerSecret = "keel-reader-secret-0123456789"
	newPass      = "the rotated passphrase"
)

// vaultCLI runs the vault command with the runbooks' flags against one versitygw server.
type vaultCLI struct {
	bin   string
	flags []string
	env   []string
}

// run returns stdout, stderr and the exit code.
func (v vaultCLI) run(t *testing.T, extraEnv []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(v.bin, args...)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, v.env...), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{passphrase, newPass, readerSecret, vsynctest.SecretKey, vaultSecret} {
		if strings.Contains(stderr.String(), secret) || (args[0] != "token" && strings.Contains(stdout.String(), secret)) {
			t.Errorf("vault %s printed a secret (%.10s...)", args[0], secret)
		}
	}
	return stdout.String(), stderr.String(), code
}

// ok runs a command that must succeed.
func (v vaultCLI) ok(t *testing.T, extraEnv []string, args ...string) string {
	t.Helper()
	out, errOut, code := v.run(t, extraEnv, append(args, v.flagsFor(args[0])...)...)
	if code != 0 {
		t.Fatalf("vault %s: exit %d\n%s%s", args[0], code, out, errOut)
	}
	return out
}

func (v vaultCLI) flagsFor(cmd string) []string {
	if cmd == "verify" || cmd == "salt" {
		return nil
	}
	return v.flags
}

func writeEnvFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env.dev")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVaultRunbook walks the runbooks' commands against versitygw: publish, mint the token,
// verify, boot the service, publish again (stale), rotate the passphrase, and the failure
// cases: wrong reader key, bad input, a killed push.
func TestVaultRunbook(t *testing.T) {
	gw := vsynctest.StartVersityGW(t, testenv.Tool(t, ".tools/bin/versitygw", "scripts/install-tools versitygw"))
	const prefix = "team/app/dev/"
	ctx := context.Background()
	if err := gw.AddReader(ctx, readerKey, readerSecret, prefix); err != nil {
		t.Fatal(err)
	}
	vaultBin, err := testenv.BuildGo(t.TempDir(), "app/cmd/vault")
	if err != nil {
		t.Fatal(err)
	}
	cli := vaultCLI{bin: vaultBin, env: []string{
		"AWS_ACCESS_KEY_ID=" + vsynctest.AccessKey, "AWS_SECRET_ACCESS_KEY=" + vsynctest.SecretKey,
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
	}}
	salt := strings.TrimSpace(cli.ok(t, nil, "salt"))
	cli.flags = []string{"--endpoint", gw.Endpoint, "--bucket", vsynctest.Bucket, "--prefix", prefix, "--env", "dev", "--salt", salt, "--iterations", fmt.Sprint(iterations)}
	withPass := []string{"VAULT_PASSPHRASE=" + passphrase}

	envFile := writeEnvFile(t, "# dev vault\nexport BILLING_KEY=\""+vaultSecret+"\"\nTLS_NOTE='multi\nline'\n")
	asset := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(asset, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600)

	if out := cli.ok(t, withPass, "push", "--env-file", envFile, "--asset", "ca.pem="+asset); !strings.Contains(out, "published generation 1") {
		t.Fatalf("push: %s", out)
	}
	token := strings.TrimSpace(cli.ok(t, []string{"VAULT_READER_SECRET_ACCESS_KEY=" + readerSecret}, "token", "--access-key-id", readerKey))
	serviceEnv := []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + passphrase}
	verified := cli.ok(t, serviceEnv, "verify", "--keys", "BILLING_KEY,PORT")
	for _, want := range []string{"generation 1", "keys (2): BILLING_KEY TLS_NOTE", "files (1): ca.pem", "source BILLING_KEY vault", "source PORT missing", "env=dev"} {
		if !strings.Contains(verified, want) {
			t.Errorf("verify output lacks %q:\n%s", want, verified)
		}
	}

	p := start(t, append(serviceEnv, "FRESHNESS_INTERVAL=200ms", "FRESHNESS_WAIT=2s"))
	p.waitReady(t)
	if code, body := p.get("/healthz"); code != 200 || body["status"] != "fresh" {
		t.Fatalf("after the first push: %d %v", code, body)
	}

	changed := writeEnvFile(t, "BILLING_KEY=\""+vaultSecret+"-v2\"\nNEW_KEY=1\n")
	status := cli.ok(t, withPass, "status", "--env-file", changed, "--asset", "ca.pem="+asset)
	if !strings.Contains(status, "only local: NEW_KEY") || !strings.Contains(status, "only published: TLS_NOTE") || !strings.Contains(status, "changed: BILLING_KEY") {
		t.Errorf("status:\n%s", status)
	}
	cli.ok(t, withPass, "push", "--env-file", changed)
	time.Sleep(300 * time.Millisecond)
	if code, body := p.get("/healthz"); code != 200 || body["status"] != "stale" {
		t.Fatalf("after the second push: %d %v", code, body)
	}

	t.Run("rotate passphrase", func(t *testing.T) {
		out := cli.ok(t, append(withPass, "VAULT_NEW_PASSPHRASE="+newPass), "rotate-passphrase")
		if !strings.Contains(out, "as generation 3") || !strings.Contains(out, "removed 2 older bundle objects") {
			t.Fatalf("rotate: %s", out)
		}
		if bundles := strings.Count(listKeys(t, gw), prefix+"v="); bundles != 1 {
			t.Fatalf("after the rotation %d bundles remain, want only the live one", bundles)
		}
		if code, _ := p.get("/healthz"); code != 200 {
			t.Fatalf("the running service stopped serving after the rotation: %d", code)
		}
		rotated := start(t, []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + newPass})
		rotated.waitReady(t)
		old := start(t, serviceEnv)
		if code := old.exit(t, 10*time.Second); code != 1 || old.logLine(t, "boot failed")["error"] != "WrongPassphraseError" {
			t.Fatalf("a boot with the old passphrase: exit %d\n%s", code, old.out)
		}
	})

	t.Run("reader key reads but cannot write", func(t *testing.T) {
		reader := vsync.NewS3Client(gw.Endpoint, vsynctest.Region, credentials.NewStaticCredentialsProvider(readerKey, readerSecret, ""))
		if _, err := reader.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(vsynctest.Bucket), Key: aws.String(prefix + "manifest")}); err != nil {
			t.Fatalf("the reader cannot read: %v", err)
		}
		_, err := reader.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(vsynctest.Bucket), Key: aws.String(prefix + "manifest"), Body: strings.NewReader("x")})
		if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("the reader could write: %v", err)
		}
	})

	t.Run("token with a wrong key", func(t *testing.T) {
		out, errOut, code := cli.run(t, []string{"VAULT_READER_SECRET_ACCESS_KEY=wrong-secret"}, append([]string{"token", "--access-key-id", readerKey}, cli.flags...)...)
		if code != 3 || out != "" || !strings.Contains(errOut, "access denied") {
			t.Fatalf("exit %d, stdout %q, stderr %q; want 3, no token, access denied", code, out, errOut)
		}
	})

	t.Run("bad input writes nothing", func(t *testing.T) {
		before := listKeys(t, gw)
		big := filepath.Join(t.TempDir(), "big")
		os.WriteFile(big, make([]byte, 2<<20), 0o600)
		noSlash := append([]string{}, cli.flags...)
		noSlash[5] = "team/app/dev"
		for name, tc := range map[string]struct {
			env  []string
			args []string
			code int
			want string
		}{
			"prefix without slash": {withPass, append([]string{"push", "--env-file", envFile}, noSlash...), 2, "must be non-empty and end with /"},
			"unreadable env file":  {withPass, append([]string{"push", "--env-file", "/nonexistent/.env"}, cli.flags...), 2, "no such file"},
			"duplicate keys":       {withPass, append([]string{"push", "--env-file", writeEnvFile(t, "A=1\nA=2\n")}, cli.flags...), 2, "A is already set on line 1"},
			"asset over the limit": {withPass, append([]string{"push", "--env-file", envFile, "--asset", "big=" + big}, cli.flags...), 2, "over the 1048576-byte limit"},
			"no passphrase":        {nil, append([]string{"push", "--env-file", envFile}, cli.flags...), 2, "set VAULT_PASSPHRASE"},
			"wrong credentials":    {append(withPass, "AWS_SECRET_ACCESS_KEY=wrong"), append([]string{"push", "--env-file", envFile}, cli.flags...), 3, "access denied"},
		} {
			_, errOut, code := cli.run(t, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s: exit %d, stderr %q; want %d and %q", name, code, errOut, tc.code, tc.want)
			}
		}
		if after := listKeys(t, gw); after != before {
			t.Fatalf("refused pushes changed the bucket:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("concurrent pushes stay consistent", func(t *testing.T) {
		var cmds []*exec.Cmd
		for range 4 {
			cmd := exec.Command(vaultBin, append([]string{"push", "--env-file", envFile}, cli.flags...)...)
			cmd.Env = append(append([]string{}, cli.env...), "VAULT_PASSPHRASE="+newPass)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		succeeded := 0
		for _, cmd := range cmds {
			if cmd.Wait() == nil {
				succeeded++
			}
		}
		out, errOut, code := cli.run(t, []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + newPass}, "verify")
		if code != 0 || succeeded == 0 {
			t.Fatalf("%d of 4 concurrent pushes succeeded; verify: exit %d %s%s", succeeded, code, out, errOut)
		}
		t.Logf("%d of 4 concurrent pushes won; the losers failed cleanly; %s", succeeded, strings.Split(out, "\n")[1])
	})

	t.Run("a killed push leaves a readable vault", func(t *testing.T) {
		big := filepath.Join(t.TempDir(), "big")
		os.WriteFile(big, bytes.Repeat([]byte("x"), 900<<10), 0o600)
		rotatedEnv := []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + newPass}
		for delay := 0 * time.Millisecond; delay <= 150*time.Millisecond; delay += 10 * time.Millisecond {
			cmd := exec.Command(vaultBin, append([]string{"push", "--env-file", envFile, "--asset", "big=" + big}, cli.flags...)...)
			cmd.Env = append(append([]string{}, cli.env...), "VAULT_PASSPHRASE="+newPass)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(delay)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if out, errOut, code := cli.run(t, rotatedEnv, "verify"); code != 0 {
				t.Fatalf("after a push killed at %v the vault does not open: %s%s", delay, out, errOut)
			}
		}
	})
}

func listKeys(t *testing.T, gw *vsynctest.S3Server) string {
	t.Helper()
	client := vsync.NewS3Client(gw.Endpoint, vsynctest.Region, credentials.NewStaticCredentialsProvider(vsynctest.AccessKey, vsynctest.SecretKey, ""))
	out, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(vsynctest.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, fmt.Sprintf("%s:%s", aws.ToString(o.Key), aws.ToString(o.ETag)))
	}
	return strings.Join(keys, " ")
}
