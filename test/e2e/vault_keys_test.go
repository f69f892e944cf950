package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestVaultRefusesBadInput: every input the issue names is refused before anything is
// written: exit 2, a message naming the problem and the fix, the bucket's every object version
// unchanged.
func TestVaultRefusesBadInput(t *testing.T) {
	b := newFaultBench(t)
	const prefix = "bad/live/"
	b.seed(t, prefix)
	good := writeEnvFile(t, "GEN_2=\""+vaultSecret+"\"\n")
	fifo := filepath.Join(t.TempDir(), "passphrase.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	with := func(f []string, flag, value string) []string {
		out := append([]string{}, f...)
		for i := range out {
			if out[i] == flag {
				out[i+1] = value
			}
		}
		return out
	}
	live := flags(b.gw.Endpoint, prefix)
	pass := []string{"VAULT_PASSPHRASE=" + passphrase}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"push with another passphrase", []string{"VAULT_PASSPHRASE=" + newPass}, append([]string{"push", "--env-file", good}, live...),
			[]string{"does not open with this key", "the passphrase differs (salt and iterations match)", "rotate-passphrase", "--rekey"}},
		{"push with another salt", pass, append([]string{"push", "--env-file", good}, with(live, "--salt", "AnotherSaltAnotherSalt==")...),
			[]string{"does not open with this key", "the salt differs"}},
		{"push with another iteration count", pass, append([]string{"push", "--env-file", good}, with(live, "--iterations", "700000")...),
			[]string{"does not open with this key", "iterations differ (the vault uses 600000, this writer 700000)"}},
		{"push relying on the iteration default", append(pass, "VAULT_ITERATIONS=700000"), append([]string{"push", "--env-file", good}, without(live, "--iterations")...),
			[]string{"does not open with this key", "iterations differ", "VAULT_ITERATIONS"}},
		{"status with another passphrase", []string{"VAULT_PASSPHRASE=" + newPass}, append([]string{"status", "--env-file", good}, live...),
			[]string{"does not open with this key", "the passphrase differs", "a push with this key would be refused"}},
		{"iterations below the floor, new vault", pass, append([]string{"push", "--env-file", good}, with(with(live, "--prefix", "bad/new/"), "--iterations", "1")...),
			[]string{"--iterations 1 is below the writer's floor of 600000"}},
		{"VAULT_ITERATIONS not a number", append(pass, "VAULT_ITERATIONS=lots"), append([]string{"push", "--env-file", good}, without(live, "--iterations")...),
			[]string{"VAULT_ITERATIONS=lots is not a whole number"}},
		{"unquoted value with ' #'", pass, append([]string{"push", "--env-file", writeEnvFile(t, "PASSWORD=abc #def\n")}, live...),
			[]string{".env.dev:1: PASSWORD", "quote the value"}},
		{"passphrase file that is a FIFO", []string{"VAULT_PASSPHRASE_FILE=" + fifo}, append([]string{"push", "--env-file", good}, live...),
			[]string{"VAULT_PASSPHRASE_FILE", "not a regular file"}},
		{"rotate with a wrong current passphrase", []string{"VAULT_PASSPHRASE=wrong passphrase", "VAULT_NEW_PASSPHRASE=" + newPass}, append([]string{"rotate-passphrase"}, live...),
			[]string{"does not open with this key", "VAULT_PASSPHRASE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := b.listing(t)
			start := time.Now()
			res := b.run(t, tc.env, nil, nil, tc.args...)
			if res.code != 2 {
				t.Errorf("exit %d, want 2: %s%s", res.code, res.stdout, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			if after := b.listing(t); after != before {
				t.Errorf("a refused command changed the bucket:\nbefore %s\nafter  %s", before, after)
			}
			if time.Since(start) > 20*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
		})
	}
	// Re-keying is an explicit act: --rekey publishes, and says what must follow.
	res := b.run(t, []string{"VAULT_PASSPHRASE=" + newPass}, nil, nil, append([]string{"push", "--rekey", "--env-file", good}, live...)...)
	if res.code != 0 || !strings.Contains(res.stderr, "--rekey: the live vault at s3://vault/bad/live/ does not open with this key") ||
		!strings.Contains(res.stderr, "needs the new passphrase secret") {
		t.Fatalf("push --rekey: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if s := b.state(t, prefix); s.gen != 2 || s.openWith != "new" {
		t.Fatalf("after push --rekey the vault holds %+v, want generation 2 under the new passphrase", s)
	}
}

func without(f []string, flag string) []string {
	var out []string
	for i := 0; i < len(f); i++ {
		if f[i] == flag {
			i++
			continue
		}
		out = append(out, f[i])
	}
	return out
}

// TestReaderKeyRotation walks the runbook's reader key rotation against versitygw's IAM users:
// a new key, a token for it written 0600 by vault token --out, the service rolled onto it,
// the old key deleted; then the old token no longer boots and the new one does.
func TestReaderKeyRotation(t *testing.T) {
	b := newFaultBench(t)
	const prefix = "keys/"
	oldToken := b.seed(t, prefix)
	live := flags(b.gw.Endpoint, prefix)
	running := startReady(t, []string{"VSYNC_CONFIG=" + oldToken, "VSYNC_PASSPHRASE=" + passphrase, "VAULT_KEYS=GEN_1", "FRESHNESS_INTERVAL=100ms", "FRESHNESS_WAIT=2s"})

	// 1. A new key beside the old one (on AWS: aws iam create-access-key).
	const newKey, newSecret = "keel-reader-2", "keel-reader-2-secret-0123456789"
	b.setReaders(t, map[string]string{readerKey: readerSecret, newKey: newSecret})
	// 2. The token for it, into a file only its owner can read, whatever the umask.
	old := syscall.Umask(0)
	out := filepath.Join(t.TempDir(), "token.txt")
	res := b.run(t, []string{"VAULT_READER_SECRET_ACCESS_KEY=" + newSecret}, nil, nil, append([]string{"token", "--access-key-id", newKey, "--out", out}, live...)...)
	syscall.Umask(old)
	if res.code != 0 || !strings.Contains(res.stdout, "mode 0600") {
		t.Fatalf("token --out: exit %d %s%s", res.code, res.stdout, res.stderr)
	}
	noSecrets(t, "vault token --out", res.stdout)
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v, want mode 0600", fi.Mode(), err)
	}
	content, _ := os.ReadFile(out)
	newToken := strings.TrimSpace(string(content))
	// A token for a key that cannot read is refused, and writes no file.
	bad := filepath.Join(t.TempDir(), "bad.txt")
	if res := b.run(t, []string{"VAULT_READER_SECRET_ACCESS_KEY=wrong"}, nil, nil, append([]string{"token", "--access-key-id", newKey, "--out", bad}, live...)...); res.code != 3 {
		t.Errorf("token with a wrong secret: exit %d, want 3", res.code)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a refused token wrote %s", bad)
	}
	// 3-4. The secret updated and the service rolled: new tasks boot with the new token.
	rolled := startReady(t, []string{"VSYNC_CONFIG=" + newToken, "VSYNC_PASSPHRASE=" + passphrase, "VAULT_KEYS=GEN_1", "FRESHNESS_INTERVAL=100ms", "FRESHNESS_WAIT=2s"})
	// 5. The old key deleted (aws iam delete-access-key).
	b.deleteUser(t, readerKey)
	b.setReaders(t, map[string]string{newKey: newSecret})
	stale := start(t, []string{"VSYNC_CONFIG=" + oldToken, "VSYNC_PASSPHRASE=" + passphrase})
	if code := stale.exit(t, 30*time.Second); code != 1 || stale.logLine(t, "boot failed")["error"] != "S3UnreachableError" {
		t.Fatalf("a task with the old token: exit %d\n%s", code, stale.out)
	}
	time.Sleep(150 * time.Millisecond)
	if _, body := rolled.get("/healthz"); body["status"] != "fresh" {
		t.Errorf("the rolled service after the old key's deletion: %v", body)
	}
	// A task still on the old token keeps serving; its freshness check can no longer tell.
	if code, body := running.get("/healthz"); code != 200 || body["status"] != "unknown" {
		t.Errorf("a task on the deleted key: %d %v, want 200 unknown", code, body)
	}
}

// TestRetentionWarning: on a bucket that keeps versions without a rule expiring them (versitygw
// has no lifecycle support at all), status warns; rotate-passphrase removes every version of
// every older bundle, so no object under the prefix opens with the old passphrase; prune does
// the same on its own.
func TestRetentionWarning(t *testing.T) {
	b := newFaultBench(t)
	const prefix = "retention/"
	b.seed(t, prefix)
	live := flags(b.gw.Endpoint, prefix)
	pass := []string{"VAULT_PASSPHRASE=" + passphrase}
	env := writeEnvFile(t, "GEN_1=\""+vaultSecret+"\"\n")
	res := b.run(t, pass, nil, nil, append([]string{"status", "--env-file", env}, live...)...)
	if res.code != 0 || !strings.Contains(res.stderr, "keeps old object versions (versioning Enabled) and no enabled lifecycle rule expires noncurrent versions under retention/") {
		t.Fatalf("status on a versioned bucket: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// Two more generations under the old passphrase, each a bundle.
	for range 2 {
		if res := b.run(t, pass, nil, nil, append([]string{"push", "--env-file", env}, live...)...); res.code != 0 {
			t.Fatalf("push: %s", res.stderr)
		}
	}
	res = b.run(t, append(pass, "VAULT_NEW_PASSPHRASE="+newPass), nil, nil, append([]string{"rotate-passphrase"}, live...)...)
	if res.code != 0 || !strings.Contains(res.stdout, "removed 3 older bundle objects") {
		t.Fatalf("rotate: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if b.state(t, prefix).bundles != 1 {
		t.Fatalf("after the rotation the prefix holds %d bundle versions, want 1", b.state(t, prefix).bundles)
	}
	b.noVersionOpensWith(t, prefix, passphrase)

	// prune retires history on its own, only after the live bundle opens with its passphrase.
	rotated := []string{"VAULT_PASSPHRASE=" + newPass}
	for range 2 {
		if res := b.run(t, rotated, nil, nil, append([]string{"push", "--env-file", env}, live...)...); res.code != 0 {
			t.Fatalf("push: %s", res.stderr)
		}
	}
	before := b.listing(t)
	if res := b.run(t, pass, nil, nil, append([]string{"prune"}, live...)...); res.code != 2 || !strings.Contains(res.stderr, "does not open with this key") {
		t.Errorf("prune with the old passphrase: exit %d %s", res.code, res.stderr)
	}
	if after := b.listing(t); after != before {
		t.Errorf("a refused prune changed the bucket")
	}
	if res := b.run(t, rotated, nil, nil, append([]string{"prune"}, live...)...); res.code != 0 || !strings.Contains(res.stdout, "removed 2 older bundle objects") {
		t.Errorf("prune: exit %d %s%s", res.code, res.stdout, res.stderr)
	}
	if s := b.state(t, prefix); s.bundles != 1 || s.openWith != "new" {
		t.Errorf("after prune the prefix holds %+v, want only the live bundle", s)
	}
}
