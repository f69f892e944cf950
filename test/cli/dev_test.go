package cli

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync/vsynctest"
	"github.com/keelstack/keel/test/internal/testenv"
)

// TestMakeDev runs `make dev` as a user would, uses the service, then presses Ctrl-C (SIGINT
// to the whole process group) and checks that nothing is left listening.
func TestMakeDev(t *testing.T) {
	root := testenv.RepoRoot(t)
	testenv.Tool(t, ".tools/bin/versitygw", "scripts/install-tools versitygw")
	addr, err := vsynctest.LoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)

	cmd := exec.Command("make", "-s", "dev", "PORT="+port)
	cmd.Dir, cmd.Env = root, offlineEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	ready := regexp.MustCompile(`the service is at (http://\S+) \(S3 at (http://\S+),`)
	lines := make(chan string)
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var serviceURL, s3URL string
	timeout := time.After(3 * time.Minute)
	for serviceURL == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("make dev ended before the service was up:\n%s", log.String())
			}
			log.WriteString(line + "\n")
			if m := ready.FindStringSubmatch(line); m != nil {
				serviceURL, s3URL = m[1], m[2]
			}
		case <-timeout:
			t.Fatalf("make dev did not come up:\n%s", log.String())
		}
	}
	resp, err := http.Get(serviceURL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	for line := range lines {
		log.WriteString(line + "\n")
	}
	_ = cmd.Wait()
	if !strings.Contains(log.String(), "keel dev: stopped") {
		t.Errorf("no orderly stop:\n%s", log.String())
	}
	for _, u := range []string{serviceURL, s3URL} {
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "http://"), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still answers after Ctrl-C", u)
		}
	}
}
