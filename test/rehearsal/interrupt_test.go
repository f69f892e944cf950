package rehearsal

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// TestCtrlCCleansUp: Ctrl-C at a terminal sends SIGINT to the foreground process group: the
// rehearse command and the children that share its group (versitygw); the tasks run in
// groups of their own, as they would on their own hosts. Mid-deployment, the command stops
// every process it started and removes its files, says so, and exits 130.
func TestCtrlCCleansUp(t *testing.T) {
	versitygw := vsynctest.VersityGWPath(t) // fails on CI when missing
	if versitygw == "" {
		t.Skipf("%s is not set: the rehearsal runs the real S3 server (make test sets it)", vsynctest.VersityGWEnv)
	}
	tmp := t.TempDir()
	cmd := exec.Command(rehearseBin, "rehearse", "--stage", "dev", "--template", templates["dev"], "--speed", "4",
		"--old", oldBin, "--new", newBin, "--versitygw", versitygw)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a group of its own, as a shell's job
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()

	// The deployment has begun once a task of the new version runs.
	for deadline := time.Now().Add(time.Minute); len(processes(running(newBin))) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no task of the new version within a minute:\n%s", out.String())
		}
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("rehearse still running 30 s after Ctrl-C:\n%s", out.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 || !strings.Contains(out.String(), "rehearse: interrupted") {
		t.Errorf("after Ctrl-C: %v, want exit status 130 and the interruption named:\n%s", err, out.String())
	}
	left := processes(func(argv []string) bool {
		return running(oldBin)(argv) || running(newBin)(argv) || strings.Contains(strings.Join(argv, " "), tmp) // versitygw's data
	})
	if len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("files left behind in TMPDIR: %v", entries)
	}
}

// processes lists the processes (other than this one) whose arguments match.
func processes(match func(argv []string) bool) []string {
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	self := "/proc/" + strconv.Itoa(os.Getpid()) + "/"
	var out []string
	for _, c := range cmdlines {
		b, err := os.ReadFile(c)
		if err != nil || len(b) == 0 || strings.HasPrefix(c, self) {
			continue
		}
		if argv := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"); match(argv) {
			out = append(out, filepath.Base(filepath.Dir(c))+": "+strings.Join(argv, " "))
		}
	}
	return out
}

// running matches a process of the binary at path (a task), not one naming it in a flag.
func running(path string) func([]string) bool {
	return func(argv []string) bool { return argv[0] == path }
}
