package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// Secrets planted in the vault, the environment and the token: none may reach the output.
const (
	passphrase  = "e2e passphrase that must not leak"
	vaultSecret = "postgres://app:vault-secret-value@db/app"
	envSecret   = "env-secret-token-value"
	salt        = "e2eSaltE2eSaltE2eSalt=="
)

// vault is an S3 server holding a published vault and the token to read it.
type vault struct {
	srv   *vsynctest.S3Server
	cfg   vsync.Config
	token string
}

func publishedVault(t *testing.T, prefix string) *vault {
	t.Helper()
	srv := vsynctest.StartGoFakeS3(t)
	v := &vault{srv: srv, cfg: srv.Config(prefix, "e2e", salt, 1000)}
	v.publish(t)
	var err error
	if v.token, err = vsync.EncodeConfig(v.cfg); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v *vault) publish(t *testing.T) vsync.Published {
	t.Helper()
	p, err := vsync.Publish(context.Background(), v.srv.Store(), v.cfg, passphrase,
		vsync.Release{KV: map[string]string{"BILLING_KEY": vaultSecret}}, time.Now(), vsync.WithIterationFloor(v.cfg.Iterations))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// env is the service's environment for this vault, plus extra.
func (v *vault) env(extra ...string) []string {
	return append([]string{"VSYNC_CONFIG=" + v.token, "VSYNC_PASSPHRASE=" + passphrase, "API_TOKEN=" + envSecret,
		"VAULT_KEYS=BILLING_KEY,API_TOKEN,MISSING_KEY"}, extra...)
}

// proc is a running server process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// start runs the binary with only env (and PATH), on a free port, as the image runs it.
func start(t *testing.T, env []string) *proc {
	t.Helper()
	return startBin(t, serverBin, env)
}

// startBin is start with another build of the server.
func startBin(t *testing.T, bin string, env []string) *proc {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), fmt.Sprintf("PORT=%d", port)}, env...)
	p := &proc{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		for _, secret := range []string{passphrase, vaultSecret, envSecret, vsynctest.SecretKey, "vsync-cfg-v1:"} {
			if strings.Contains(p.out.String(), secret) {
				t.Errorf("the server's output contains a secret (%.12s...):\n%s", secret, p.out)
			}
		}
	})
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	addr, err := vsynctest.LoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return n
}

// startReady starts the binary and waits until it is ready, again on another port when the
// one it was given was taken in between by a server of a parallel test.
func startReady(t *testing.T, env []string) *proc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p := start(t, env)
		if p.bootLogged(30*time.Second) == nil {
			p.waitReady(t)
			return p
		}
		if attempt == 3 || !strings.Contains(p.out.String(), "listen on port") {
			t.Fatalf("not ready: %v\n%s", p.err, p.out)
		}
	}
}

// bootLogged waits until the process logs ready, and fails when it exits first or within.
func (p *proc) bootLogged(within time.Duration) error {
	deadline := time.Now().Add(within)
	for !strings.Contains(p.out.String(), `"msg":"ready"`) {
		select {
		case <-p.done:
			return fmt.Errorf("exited: %v", p.err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v", within)
		}
	}
	return nil
}

// waitReady polls /readyz until 200 from this process: its own log says ready (tests in
// parallel may race for a free port, and another server could answer on it).
func (p *proc) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(p.out.String(), `"msg":"ready"`) {
			if code, _ := p.get("/readyz"); code == 200 {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("server exited while booting: %v\n%s", p.err, p.out)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("not ready after 30s:\n%s", p.out)
}

// get returns the status and JSON body of path ("" body on connection errors).
func (p *proc) get(path string) (int, map[string]any) {
	resp, err := http.Get(p.url + path)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// exit waits for the process and returns its exit code.
func (p *proc) exit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		t.Fatalf("still running after %v:\n%s", within, p.out)
	}
	if exit := (*exec.ExitError)(nil); errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

func (p *proc) signal(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// logLine returns the first JSON log line whose msg is msg.
func (p *proc) logLine(t *testing.T, msg string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(p.out.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	t.Fatalf("no %q log line in:\n%s", msg, p.out)
	return nil
}
