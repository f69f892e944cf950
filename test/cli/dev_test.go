package cli

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync/vsynctest"
	"github.com/keelstack/keel/test/internal/testenv"
)

// TestMakeDev runs `make dev` as a user would, uses the service, checks that nothing it started
// listens beyond loopback, then presses Ctrl-C (SIGINT to the whole process group) and checks
// that nothing is left listening.
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

	ready := regexp.MustCompile(`the service is at (http://\S+) \(S3 at (http://\S+),.* PostgreSQL at (\S+)\)`)
	lines := make(chan string)
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var serviceURL, s3URL, pgAddr string
	timeout := time.After(3 * time.Minute)
	for serviceURL == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("make dev ended before the service was up:\n%s", log.String())
			}
			log.WriteString(line + "\n")
			if m := ready.FindStringSubmatch(line); m != nil {
				serviceURL, s3URL, pgAddr = m[1], m[2], m[3]
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
	checkLoopbackOnly(t, cmd.Process.Pid, serviceURL, s3URL)
	// The database behind the notes API is make dev's own PostgreSQL (its own session, so the
	// group check above does not see it; it listens on loopback by its configuration).
	resp, err = http.Post(serviceURL+"/api/v1/notes", "application/json", strings.NewReader(`{"body":"from make dev"}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create a note: %v %v", resp, err)
	}
	resp.Body.Close()
	if host, _, _ := net.SplitHostPort(pgAddr); host != "127.0.0.1" {
		t.Errorf("PostgreSQL at %s, want loopback", pgAddr)
	}

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
	for _, u := range []string{serviceURL, s3URL, pgAddr} {
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "http://"), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still answers after Ctrl-C", u)
		}
	}
}

// checkLoopbackOnly fails the test when a process in the process group pgid listens on TCP
// anywhere but loopback, or when the service's and S3's listeners are not among them.
func checkLoopbackOnly(t *testing.T, pgid int, urls ...string) {
	t.Helper()
	listeners, err := listenersOf(pgid)
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]bool{}
	for _, l := range listeners {
		ports[strconv.Itoa(l.addr.Port)] = true
		if !l.addr.IP.IsLoopback() {
			t.Errorf("pid %d (%s) listens on %s: make dev must listen on loopback only", l.pid, l.comm, l.addr)
		}
	}
	for _, u := range urls {
		if _, port, _ := net.SplitHostPort(strings.TrimPrefix(u, "http://")); !ports[port] {
			t.Errorf("%s is not among make dev's listeners %v: the check did not see its sockets", u, listeners)
		}
	}
}

type listener struct {
	pid  int
	comm string
	addr *net.TCPAddr
}

// listenersOf reads the TCP sockets in LISTEN state that the processes of group pgid hold,
// from /proc/<pid>/fd and /proc/net/tcp{,6}.
func listenersOf(pgid int) ([]listener, error) {
	owners := map[string]listener{} // socket inode -> its process
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		stat, err := os.ReadFile(filepath.Join(proc, "stat"))
		if err != nil {
			continue // the process ended
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
		open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		fields := strings.Fields(string(stat[end+1:]))
		if len(fields) < 3 || fields[2] != strconv.Itoa(pgid) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(proc))
		fds, _ := filepath.Glob(filepath.Join(proc, "fd", "*"))
		for _, fd := range fds {
			if target, err := os.Readlink(fd); err == nil && strings.HasPrefix(target, "socket:[") {
				owners[strings.Trim(target[len("socket:"):], "[]")] = listener{pid: pid, comm: string(stat[open+1 : end])}
			}
		}
	}
	var out []listener
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			const listen = "0A"
			if len(f) < 10 || f[3] != listen {
				continue
			}
			l, ok := owners[f[9]]
			if !ok {
				continue
			}
			if l.addr, err = procNetAddr(f[1]); err != nil {
				return nil, fmt.Errorf("%s: %w", table, err)
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// procNetAddr decodes /proc/net/tcp's local_address: the IP as 32-bit words in host (little
// endian) order, then the port, in hex.
func procNetAddr(s string) (*net.TCPAddr, error) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ipHex)
	port, perr := strconv.ParseUint(portHex, 16, 16)
	if !ok || err != nil || perr != nil || (len(raw) != 4 && len(raw) != 16) {
		return nil, fmt.Errorf("bad address %q", s)
	}
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return &net.TCPAddr{IP: ip, Port: int(port)}, nil
}

func TestProcNetAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0050":                         "0.0.0.0:80",
		"00000000000000000000000001000000:1F90": "[::1]:8080",
		"00000000000000000000000000000000:1F90": "[::]:8080",
		"0000000000000000FFFF00000100007F:0050": "127.0.0.1:80",
	} {
		if got, err := procNetAddr(in); err != nil || got.String() != want {
			t.Errorf("%s = %v %v, want %s", in, got, err, want)
		}
	}
}
