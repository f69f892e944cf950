// Command devstack is `make dev`: a local S3 server (versitygw) on loopback with a bucket and a
// read-only user, a local PostgreSQL set up by `server dbsetup` (postgres.go) whose
// DATABASE_URL goes into the vault, a sample vault published and a token minted with the vault command (the
// runbooks' commands), and the service running on them, also on loopback only: a real vault
// sits behind it, so nothing here is reachable from the network. Ctrl-C stops all of it.
package dev

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/keelstack/keel/app/vsync/vsynctest"
)

const (
	prefix    = "keel/dev/"
	readerKey = "keel-dev-reader"
	// loopback is where everything listens (vsynctest.LaunchVersityGW picks a loopback port).
	loopback = "127.0.0.1"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	port := fs.Int("port", 8080, "the service's port")
	versitygw := fs.String("versitygw", ".tools/bin/versitygw", "the versitygw binary (scripts/install-tools versitygw)")
	envFile := fs.String("env-file", "dev/sample.env", "the env file to publish")
	if err := fs.Parse(args); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "keel-dev-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	vaultBin, serverBin, err := build(work)
	if err != nil {
		return err
	}
	s3, err := vsynctest.LaunchVersityGW(*versitygw, filepath.Join(work, "s3"), "")
	if err != nil {
		return err
	}
	defer s3.Stop()
	passphrase, readerSecret := random(), random()
	if err := s3.AddReader(ctx, readerKey, readerSecret, prefix); err != nil {
		return err
	}
	pg, dsn, err := startPostgres(ctx, serverBin, stderr)
	if err != nil {
		return err
	}
	defer pg.Close()
	if *envFile, err = withDatabaseURL(*envFile, dsn, work); err != nil {
		return err
	}
	token, err := publish(ctx, vaultBin, s3.Endpoint, *envFile, passphrase, readerSecret, stderr)
	if err != nil {
		return err
	}

	server := exec.Command(serverBin)
	server.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", *port), "LISTEN_HOST="+loopback, "VSYNC_CONFIG="+token, "VSYNC_PASSPHRASE="+passphrase, "FRESHNESS_INTERVAL=5s")
	server.Stdout, server.Stderr = stdout, stderr
	if err := server.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	url := fmt.Sprintf("http://%s:%d", loopback, *port)
	if err := waitHealthy(ctx, url, exited); err != nil {
		_ = server.Process.Kill()
		return err
	}
	fmt.Fprintf(stderr, "\nkeel dev: the service is at %s (S3 at %s, vault %s%s, PostgreSQL at %s:%d)\n  try: curl -s %s/healthz; curl -s -H 'Content-Type: application/json' -d '{\"body\":\"hello\"}' %s/api/v1/notes; curl -s %s/api/v1/notes\n  Ctrl-C stops everything.\n\n",
		url, s3.Endpoint, vsynctest.Bucket+"/", prefix, pg.Host, pg.Port, url, url, url)

	if err := stopService(ctx, server, exited); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "keel dev: stopped")
	return nil
}

// stopService waits for Ctrl-C (ctx) and stops the service. Ctrl-C reaches the whole process
// group, so the service may stop on it before this process notices the same signal: a clean
// exit followed by ctx's end within a second is an orderly stop too.
func stopService(ctx context.Context, server *exec.Cmd, exited <-chan error) error {
	select {
	case err := <-exited:
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("the service did not stop cleanly: %w", err)
			}
			return nil
		case <-time.After(time.Second):
			return fmt.Errorf("the service stopped: %v", err)
		}
	case <-ctx.Done():
	}
	_ = server.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("the service did not stop cleanly: %w", err)
		}
		return nil
	case <-time.After(25 * time.Second):
		_ = server.Process.Kill()
		return errors.Join(errors.New("the service did not stop within 25s"), <-exited)
	}
}

// build compiles the vault command and the server into dir.
func build(dir string) (vault, server string, err error) {
	for _, pkg := range []string{"./app/cmd/vault", "./app/cmd/server"} {
		out := filepath.Join(dir, filepath.Base(pkg))
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	return filepath.Join(dir, "vault"), filepath.Join(dir, "server"), nil
}

// publish runs the runbook's commands: vault salt, vault push, vault token.
func publish(ctx context.Context, vaultBin, endpoint, envFile, passphrase, readerSecret string, stderr io.Writer) (string, error) {
	vault := func(env []string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, vaultBin, args...)
		cmd.Env = append(os.Environ(), append(env, "AWS_ACCESS_KEY_ID="+vsynctest.AccessKey, "AWS_SECRET_ACCESS_KEY="+vsynctest.SecretKey)...)
		cmd.Stderr = stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("vault %s: %w", args[0], err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	salt, err := vault(nil, "salt")
	if err != nil {
		return "", err
	}
	target := []string{"--endpoint", endpoint, "--bucket", vsynctest.Bucket, "--prefix", prefix, "--env", "dev", "--salt", salt}
	pushed, err := vault([]string{"VAULT_PASSPHRASE=" + passphrase}, append([]string{"push", "--env-file", envFile}, target...)...)
	if err != nil {
		return "", err
	}
	fmt.Fprintln(stderr, "keel dev:", pushed)
	return vault([]string{"VAULT_READER_SECRET_ACCESS_KEY=" + readerSecret}, append([]string{"token", "--access-key-id", readerKey}, target...)...)
}

func waitHealthy(ctx context.Context, url string, exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the service exited while booting: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("the service was not healthy after 30s")
}

func random() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
