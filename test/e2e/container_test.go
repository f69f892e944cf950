package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keelstack/keel/test/internal/testenv"
	"github.com/keelstack/keel/tools/testkit/dockerfile"
	"github.com/keelstack/keel/tools/testkit/rootfs"
)

// TestRunsLikeDistrolessNonroot builds the image's root filesystem from the binary (what
// distroless static nonroot holds: users, CA certificates, /tmp, no shell) and runs it as the
// Dockerfile says, the way a container runtime would: own mount, PID, IPC and UTS namespaces,
// the root read-only, uid 65532, no new privileges, the server as PID 1. The Dockerfile's
// exec-form HEALTHCHECK then runs inside it, and SIGTERM to PID 1 ends it with status 0.
func TestRunsLikeDistrolessNonroot(t *testing.T) {
	requireNamespaces(t)
	dt, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := dockerfile.ExtractRuntime(dt)
	if err != nil {
		t.Fatal(err)
	}
	rootfs := buildRootfs(t)
	v := publishedVault(t, "app/")
	port := freePort(t)

	// The mount setup runs in the host's shell before the chroot; the container has none.
	setup := fmt.Sprintf(`mount --bind %[1]s %[1]s && mount -o remount,bind,ro %[1]s && mount -t tmpfs -o mode=1777,size=16m tmpfs %[1]s/tmp && exec setpriv --no-new-privs chroot --userspec=%[2]s %[1]s "$@"`, rootfs, rt.User)
	cmd := exec.Command("unshare", append([]string{"--mount", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--", "sh", "-c", setup, "container"}, rt.Argv()...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	env := append(v.env(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin", fmt.Sprintf("PORT=%d", port))
	cmd.Env = env
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), out: out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); <-p.done })
	p.waitReady(t)
	pid1 := containerInit(t, cmd.Process.Pid)
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid1))
	for _, want := range []string{"Uid:\t65532\t65532\t65532\t65532", "Gid:\t65532\t65532\t65532\t65532", "NoNewPrivs:\t1"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("PID 1 status lacks %q:\n%s", want, status)
		}
	}
	if nspid := field(string(status), "NSpid:"); !strings.HasSuffix(nspid, "\t1") {
		t.Errorf("the server is not PID 1 in its namespace: NSpid %q", nspid)
	}
	if root := rootMount(t, pid1); !strings.Contains(root, " ro,") && !strings.Contains(root, " ro ") {
		t.Errorf("the container's root is not read-only: %s", root)
	}

	// The HEALTHCHECK, in exec form, inside the container's mounts, as its user.
	hc := exec.Command("nsenter", append([]string{"--target", strconv.Itoa(pid1), "--mount", "--pid", "--", "setpriv", "--no-new-privs", "chroot", "--userspec=" + rt.User, rootfs}, rt.Healthcheck...)...)
	hc.Env = env
	if b, err := hc.CombinedOutput(); err != nil {
		t.Fatalf("the image's health check failed inside the container: %v\n%s", err, b)
	}
	if code, body := p.get("/healthz"); code != 200 || body["status"] != "fresh" {
		t.Fatalf("healthz from outside: %d %v", code, body)
	}

	if err := exec.Command("kill", "-TERM", strconv.Itoa(pid1)).Run(); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(t, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM to PID 1 ended it with status %d (a Go PID 1 without a SIGTERM handler exits 2)\n%s", code, out)
	}
}

// buildRootfs lays out the image's root filesystem with the binary under test.
func buildRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := rootfs.Build(root, serverBin); err != nil {
		t.Fatal(err)
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "usr/bin/sh"} {
		if _, err := os.Stat(filepath.Join(root, shell)); err == nil {
			t.Fatalf("the root filesystem has %s", shell)
		}
	}
	return root
}

// requireNamespaces skips off CI when this machine cannot make namespaces (not root, no
// util-linux); on CI it fails, so the check is never silently lost.
func requireNamespaces(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"unshare", "nsenter", "setpriv", "chroot", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			notHere(t, tool+" is not installed (util-linux, coreutils)")
		}
	}
	if os.Geteuid() != 0 {
		notHere(t, "creating mount and PID namespaces needs root")
	}
}

func notHere(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("the container check cannot run on this CI machine: %s", why)
	}
	t.Skipf("container check skipped: %s", why)
}

// containerInit is the host PID of the namespace's PID 1 (the child of unshare --fork).
func containerInit(t *testing.T, unsharePID int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", unsharePID, unsharePID))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("children of unshare: %q", b)
	}
	return pid
}

func field(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if strings.HasPrefix(line, name) {
			return line
		}
	}
	return ""
}

// rootMount is the mountinfo line of the process's root.
func rootMount(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[4] == "/" {
			return line
		}
	}
	t.Fatalf("no root mount in %s", b)
	return ""
}
