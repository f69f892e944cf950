package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// slowVault plants a vault whose token asks for the most PBKDF2 iterations a reader accepts,
// with a bundle that would not decrypt anyway: a boot that waited for the derivation would
// end in WrongPassphraseError, one that stops waiting ends on its deadline or signal.
func slowVault(t *testing.T) []string {
	t.Helper()
	srv := vsynctest.StartGoFakeS3(t)
	cfg := srv.Config("slow/", "e2e", salt, vsync.MaxIterations)
	store, ctx := srv.Store(), context.Background()
	for key, body := range map[string][]byte{
		"slow/manifest":          []byte("RQEM000120260101-000000"),
		"slow/v=20260101-000000": append([]byte("RQE1"), bytes.Repeat([]byte{7}, 64)...),
	} {
		if err := store.PutObject(ctx, key, body, vsync.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	token, err := vsync.EncodeConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + passphrase}
}

// TestBootCannotHang: BOOT_TIMEOUT and SIGTERM end a boot that is deriving its key, and a
// _FILE input that is a FIFO fails the boot at once instead of blocking it.
func TestBootCannotHang(t *testing.T) {
	// What the derivation would cost: the child's takes ten times this.
	began := time.Now()
	vsync.DeriveKey(passphrase, salt, vsync.MaxIterations/10)
	tenth := time.Since(began)

	t.Run("BOOT_TIMEOUT during key derivation", func(t *testing.T) {
		p := start(t, append(slowVault(t), "BOOT_TIMEOUT=300ms"))
		if code := p.exit(t, time.Minute); code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, p.out)
		}
		if line := p.logLine(t, "boot failed"); line["error"] != "BootTimeout" {
			t.Fatalf("boot failure line = %v, want error BootTimeout (the deadline, not the derivation's end)", line)
		}
	})
	t.Run("SIGTERM during key derivation", func(t *testing.T) {
		p := start(t, append(slowVault(t), "BOOT_TIMEOUT=5m"))
		time.Sleep(tenth) // the objects are fetched in milliseconds; the derivation runs ten tenths
		signalled := time.Now()
		p.signal(t)
		if code := p.exit(t, time.Minute); code != 0 {
			t.Fatalf("exit %d after SIGTERM while booting, want 0:\n%s", code, p.out)
		}
		if took := time.Since(signalled); took >= tenth {
			t.Fatalf("exited %v after SIGTERM; a tenth of its key derivation takes %v", took, tenth)
		}
		p.logLine(t, "stopped while booting")
	})
	t.Run("iterations below the floor warn once", func(t *testing.T) {
		v := publishedVault(t, "app/") // 1000 iterations
		p := start(t, v.env())
		p.waitReady(t)
		if n := strings.Count(p.out.String(), "PBKDF2 iterations, below the 600000"); n != 1 {
			t.Fatalf("%d warnings about the iteration count, want 1:\n%s", n, p.out)
		}
		if line := p.logLine(t, "ready"); line == nil {
			t.Fatal("no ready line")
		}
		for _, line := range strings.Split(p.out.String(), "\n") {
			if strings.Contains(line, "PBKDF2 iterations") && !strings.Contains(line, `"level":"WARN"`) {
				t.Fatalf("the iteration warning is not logged at WARN: %s", line)
			}
		}
	})
	t.Run("_FILE is a FIFO", func(t *testing.T) {
		v := publishedVault(t, "app/")
		fifo := filepath.Join(t.TempDir(), "passphrase")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		p := start(t, []string{"VSYNC_CONFIG=" + v.token, "VSYNC_PASSPHRASE_FILE=" + fifo, "BOOT_TIMEOUT=5m"})
		if code := p.exit(t, time.Minute); code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, p.out)
		}
		if line := p.logLine(t, "boot failed"); line["error"] != "ConfigMissingError" {
			t.Fatalf("boot failure line = %v", line)
		}
	})
}
