package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keelstack/keel/app/stagesecrets"
	"github.com/keelstack/keel/app/vsync/vsynctest"
	"github.com/keelstack/keel/test/internal/testenv"
)

// foundation is what `make foundation` leaves in an account, here on loopback: a bucket with
// a read-only reader, and in a Secrets Manager stand-in the reader secret and the two
// secrets holding their placeholders, named and tagged as infra/foundation creates them.
type foundation struct {
	stage  string
	s3     *vsynctest.S3Server
	sm     *vsynctest.SecretsManager
	reader stagesecrets.Reader
}

func newFoundation(t *testing.T, stage string, s3 *vsynctest.S3Server, readerKey, readerSecret string) *foundation {
	t.Helper()
	f := &foundation{stage: stage, s3: s3, sm: vsynctest.StartSecretsManager(t),
		reader: stagesecrets.Reader{AccessKeyID: readerKey, SecretAccessKey: readerSecret, Bucket: vsynctest.Bucket, Prefix: "keel/" + stage + "/", Region: vsynctest.Region}}
	placeholder := map[string]string{stagesecrets.PlaceholderTag: stagesecrets.PlaceholderTagValue, "keel:stage": stage}
	f.sm.Create(stagesecrets.ConfigName(stage), "PlaceholderGeneratedByCloudForm1", placeholder)
	f.sm.Create(stagesecrets.PassphraseName(stage), "PlaceholderGeneratedByCloudForm2", placeholder)
	doc, _ := json.Marshal(f.reader)
	f.sm.Create(stagesecrets.ReaderName(stage), string(doc), map[string]string{"keel:stage": stage})
	return f
}

// publishEnv is what `make publish STAGE=<stage>` gives the vault command: the secrets'
// names (here through the environment fallbacks), the region, and the caller's own AWS
// credentials; the endpoints point at the local servers.
func (f *foundation) publishEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + vsynctest.AccessKey, "AWS_SECRET_ACCESS_KEY=" + vsynctest.SecretKey,
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_REGION=" + vsynctest.Region,
		"VAULT_ENDPOINT=" + f.s3.Endpoint, "VAULT_SECRETS_ENDPOINT=" + f.sm.Endpoint,
		"VAULT_CONFIG_SECRET=" + stagesecrets.ConfigName(f.stage), "VAULT_PASSPHRASE_SECRET=" + stagesecrets.PassphraseName(f.stage),
		"VAULT_READER_SECRET=" + stagesecrets.ReaderName(f.stage),
	}
}

// secrets are the values planted or published so far: none may be printed.
func (f *foundation) secrets() []string {
	return []string{f.reader.SecretAccessKey, f.sm.Value(stagesecrets.PassphraseName(f.stage)), f.sm.Value(stagesecrets.ConfigName(f.stage)), vsynctest.SecretKey, vaultSecret}
}

// publish runs `vault publish` and returns its stdout, stderr and exit code, failing the
// test if either output holds a secret.
func (f *foundation) publish(t *testing.T, vaultBin, envFile string, extra ...string) (string, string, int) {
	t.Helper()
	cli := vaultCLI{bin: vaultBin, env: f.publishEnv()}
	out, errOut, code := cli.run(t, nil, append([]string{"publish", "--env-file", envFile}, extra...)...)
	for _, s := range f.secrets() {
		if s != "" && (strings.Contains(out, s) || strings.Contains(errOut, s)) {
			t.Errorf("vault publish printed a secret (%.6s...)", s)
		}
	}
	return out, errOut, code
}

// checkSecrets runs the deploy's preflight checks as make deploy does, with a key that may
// only DescribeSecret.
func (f *foundation) checkSecrets(t *testing.T, bin string) (string, error) {
	t.Helper()
	f.sm.AllowKey("deployer", "DescribeSecret")
	cmd := exec.Command(bin, "preflight", "--root", testenv.RepoRoot(t), "--stage", f.stage, "--region", vsynctest.Region,
		"--secret", stagesecrets.ConfigName(f.stage), "--secret", stagesecrets.PassphraseName(f.stage))
	cmd.Env = []string{"KEEL_SECRETS_ENDPOINT=" + f.sm.Endpoint, "AWS_ACCESS_KEY_ID=deployer", "AWS_SECRET_ACCESS_KEY=deployer-secret",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// serviceEnv is what ECS would inject from the two secrets.
func (f *foundation) serviceEnv() []string {
	return []string{"VSYNC_CONFIG=" + f.sm.Value(stagesecrets.ConfigName(f.stage)), "VSYNC_PASSPHRASE=" + f.sm.Value(stagesecrets.PassphraseName(f.stage))}
}

// TestThreeCommands walks the README's path from an empty foundation: the deploy check
// refuses, `vault publish` generates the passphrase, pushes and writes the token, the check
// passes, and the real service binary boots with what the secrets hold. Publishing again
// changes nothing; publishing a change adds a generation and keeps both secrets.
func TestThreeCommands(t *testing.T) {
	gw := vsynctest.StartVersityGW(t, testenv.Tool(t, ".tools/bin/versitygw", "scripts/install-tools versitygw"))
	f := newFoundation(t, "dev", gw, readerKey, readerSecret)
	if err := gw.AddReader(t.Context(), readerKey, readerSecret, f.reader.Prefix); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vaultBin, err := testenv.BuildGo(dir, "app/cmd/vault")
	if err != nil {
		t.Fatal(err)
	}
	checkBin, err := testenv.BuildGo(dir, "cmd/keel")
	if err != nil {
		t.Fatal(err)
	}
	config, passphraseName := stagesecrets.ConfigName("dev"), stagesecrets.PassphraseName("dev")

	out, err := f.checkSecrets(t, checkBin)
	if err == nil || !strings.Contains(out, "secret keel/dev/vsync-config still holds the placeholder") || !strings.Contains(out, "run make publish STAGE=dev ENV_FILE=.env.dev first") {
		t.Fatalf("the deploy check passed an empty foundation: %v\n%s", err, out)
	}

	envFile := writeEnvFile(t, "BILLING_KEY="+vaultSecret+"\n")
	out, errOut, code := f.publish(t, vaultBin, envFile)
	if code != 0 {
		t.Fatalf("first publish: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"generated a passphrase into keel/dev/vsync-passphrase", "published generation 1", "wrote the token for reader key " + readerKey + " into keel/dev/vsync-config"} {
		if !strings.Contains(out, want) {
			t.Errorf("first publish output lacks %q:\n%s", want, out)
		}
	}
	if f.sm.Versions(config) != 2 || f.sm.Versions(passphraseName) != 2 || len(f.sm.Value(passphraseName)) < 40 {
		t.Fatalf("after the first publish: config %d versions, passphrase %d versions of %d characters",
			f.sm.Versions(config), f.sm.Versions(passphraseName), len(f.sm.Value(passphraseName)))
	}
	if out, err := f.checkSecrets(t, checkBin); err != nil {
		t.Fatalf("the deploy check refused published secrets: %v\n%s", err, out)
	}

	p := start(t, append(f.serviceEnv(), "FRESHNESS_INTERVAL=200ms", "FRESHNESS_WAIT=2s", "VAULT_KEYS=BILLING_KEY"))
	p.waitReady(t)
	if code, body := p.get("/healthz"); code != 200 || body["status"] != "fresh" || body["gen"] != float64(1) {
		t.Fatalf("/healthz after publish: %d %v", code, body)
	}
	if sources := fmt.Sprint(p.logLine(t, "vault opened")["sources"]); !strings.Contains(sources, "BILLING_KEY:vault") {
		t.Fatalf("vault opened with sources %s", sources)
	}

	token := f.sm.Value(config)
	out, errOut, code = f.publish(t, vaultBin, envFile)
	if code != 0 || !strings.Contains(out, "nothing to push") || !strings.Contains(out, "already holds this token") {
		t.Fatalf("publishing the same file again: exit %d\n%s%s", code, out, errOut)
	}
	if f.sm.Versions(config) != 2 || f.sm.Versions(passphraseName) != 2 || f.sm.Value(config) != token {
		t.Fatal("publishing the same file again changed a secret")
	}

	changed := writeEnvFile(t, "BILLING_KEY="+vaultSecret+"-v2\n")
	if out, errOut, code := f.publish(t, vaultBin, changed); code != 0 || !strings.Contains(out, "published generation 2") || f.sm.Value(config) != token {
		t.Fatalf("publishing a change: exit %d, token changed %v\n%s%s", code, f.sm.Value(config) != token, out, errOut)
	}
	time.Sleep(300 * time.Millisecond)
	if code, body := p.get("/healthz"); code != 200 || body["status"] != "stale" {
		t.Fatalf("/healthz after a new generation: %d %v", code, body)
	}
	restarted := start(t, f.serviceEnv())
	restarted.waitReady(t)
	if _, body := restarted.get("/healthz"); body["gen"] != float64(2) {
		t.Fatalf("a new task boots generation %v, want 2", body["gen"])
	}
	for _, s := range f.secrets() {
		if strings.Contains(p.out.String()+restarted.out.String(), s) {
			t.Errorf("the service logged a secret (%.6s...)", s)
		}
	}

	t.Run("bad input changes nothing", func(t *testing.T) {
		before := listKeys(t, gw)
		for name, tc := range map[string]struct {
			args []string
			code int
			want string
		}{
			"another bucket":    {[]string{"--bucket", "other"}, 2, `--bucket "other" differs from the foundation's`},
			"no reader secret":  {[]string{"--reader-secret", "keel/dev/missing"}, 2, "run make foundation STAGE=<stage> first"},
			"no secrets access": {[]string{"--secrets-endpoint", vsynctest.RefusedEndpoint(t)}, 1, "cannot read the reader key"},
		} {
			_, errOut, code := f.publish(t, vaultBin, changed, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s: exit %d, stderr %q; want %d and %q", name, code, errOut, tc.code, tc.want)
			}
		}
		if after := listKeys(t, gw); after != before {
			t.Fatalf("refused publishes changed the bucket")
		}
	})
}

// TestPublishFaults: the first publish on an empty foundation survives a lost response and a
// racing publish: exactly one passphrase is ever stored, and the vault opens with the secrets.
// On versitygw, whose conditional writes are atomic as S3's are.
func TestPublishFaults(t *testing.T) {
	gw := vsynctest.StartVersityGW(t, testenv.Tool(t, ".tools/bin/versitygw", "scripts/install-tools versitygw"))
	vaultBin, err := testenv.BuildGo(t.TempDir(), "app/cmd/vault")
	if err != nil {
		t.Fatal(err)
	}
	envFile := writeEnvFile(t, "BILLING_KEY="+vaultSecret+"\n")
	opens := func(t *testing.T, f *foundation) {
		t.Helper()
		cli := vaultCLI{bin: vaultBin}
		if out, errOut, code := cli.run(t, f.serviceEnv(), "verify"); code != 0 || !strings.Contains(out, "keys (1): BILLING_KEY") {
			t.Fatalf("the vault does not open with the secrets: exit %d\n%s%s", code, out, errOut)
		}
	}

	t.Run("lost responses", func(t *testing.T) {
		f := newFoundation(t, "lost", gw, vsynctest.AccessKey, vsynctest.SecretKey)
		f.sm.DropResponses("PutSecretValue", 1)
		if out, errOut, code := f.publish(t, vaultBin, envFile); code != 0 {
			t.Fatalf("publish with a lost response: exit %d\n%s%s", code, out, errOut)
		}
		if n := f.sm.Versions(stagesecrets.PassphraseName("lost")); n != 2 {
			t.Errorf("the retried passphrase write left %d versions, want 2 (placeholder and passphrase)", n)
		}
		opens(t, f)
	})

	t.Run("racing first publishes", func(t *testing.T) {
		f := newFoundation(t, "race", gw, vsynctest.AccessKey, vsynctest.SecretKey)
		codes := make([]int, 3)
		// All of them find both secrets holding their placeholders.
		f.sm.Gate("DescribeSecret", stagesecrets.PassphraseName("race"), len(codes))
		f.sm.Gate("DescribeSecret", stagesecrets.ConfigName("race"), len(codes))
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() { _, _, codes[i] = f.publish(t, vaultBin, envFile) })
		}
		wg.Wait()
		if n := f.sm.Versions(stagesecrets.PassphraseName("race")); n != 2 {
			t.Errorf("racing publishes stored %d passphrase versions, want 2: one passphrase", n)
		}
		failed := 0
		for _, c := range codes {
			if c != 0 {
				failed++
			}
		}
		if failed == len(codes) {
			t.Fatal("every racing publish failed")
		}
		// Whichever generation is current opens with whatever token was written last.
		opens(t, f)
		t.Logf("%d of %d racing publishes exited non-zero", failed, len(codes))
	})
}
