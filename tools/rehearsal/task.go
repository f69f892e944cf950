package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// Revision is one version of the service: its binary and the fault, if any, put in front of
// its tasks (never a switch inside the binary).
type Revision struct {
	Name   string // "old" or "new"
	Binary string
	// WrongPassphrase makes the tasks boot with a passphrase that does not open the vault.
	WrongPassphrase bool
	Fault           Fault
}

// Fault is what a proxy in front of each task does to the traffic.
type Fault struct {
	// HealthStatus, when not 0, answers the target group's health-check path with it.
	HealthStatus int
	// ErrorShare of the other requests is answered 500 by the proxy (0..1).
	ErrorShare float64
}

func (f Fault) active() bool { return f.HealthStatus != 0 || f.ErrorShare > 0 }

// task is one ECS task: the real server process, and its network face (the process itself or
// the fault proxy in front of it).
type task struct {
	id      string
	rev     *Revision
	bin     string
	env     []string
	port    int
	front   string // host:port the load balancer and the health checks use
	started time.Time
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
	proxy   *http.Server
	target  *target
	stopCtx context.CancelFunc // container checks

	mu        sync.Mutex
	container string
	stopping  bool
	healthyAt time.Time
}

// launch starts a task of rev: the server binary with the template's environment, the
// secrets ECS would inject, and a port of its own (one host, so each task gets a free port
// instead of the container port; the container port is only the template's).
func launch(id string, rev *Revision, plan Plan, secrets []string, logDir string) (*task, error) {
	addr, err := vsynctest.LoopbackAddr()
	if err != nil {
		return nil, err
	}
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range plan.Env {
		if k != "PORT" {
			env = append(env, k+"="+v)
		}
	}
	env = append(append(env, "PORT="+p), secrets...)
	logf, err := os.OpenFile(filepath.Join(logDir, id+".log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(rev.Binary, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	// Own process group: a Ctrl-C at the terminal reaches the rehearsal, which stops its tasks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	tk := &task{id: id, rev: rev, bin: rev.Binary, env: env, port: port, front: addr, cmd: cmd, exited: make(chan struct{}), container: containerUnknown}
	if rev.Fault.active() {
		if err := tk.startFaultProxy(plan.HealthCheck.Path); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		tk.closeProxy()
		return nil, fmt.Errorf("start %s: %w", id, err)
	}
	tk.started = time.Now()
	go func() { tk.exitErr = cmd.Wait(); close(tk.exited) }()
	return tk, nil
}

func (tk *task) isExited() bool {
	select {
	case <-tk.exited:
		return true
	default:
		return false
	}
}

// terminate is the end of ECS's stop sequence: SIGTERM, then SIGKILL after the stop timeout
// (2.1, 2.2, CDEF). It reports whether the process had to be killed.
func (tk *task) terminate(stopTimeout time.Duration) (killed bool) {
	if tk.stopCtx != nil {
		tk.stopCtx()
	}
	defer tk.closeProxy()
	if tk.isExited() {
		return false
	}
	_ = tk.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-tk.exited:
		return false
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-tk.cmd.Process.Pid, syscall.SIGKILL)
		<-tk.exited
		return true
	}
}

// kill is for cleanup after an interrupt or an error: no draining.
func (tk *task) kill() {
	if tk.stopCtx != nil {
		tk.stopCtx()
	}
	if !tk.isExited() {
		_ = syscall.Kill(-tk.cmd.Process.Pid, syscall.SIGKILL)
		<-tk.exited
	}
	tk.closeProxy()
}

func (tk *task) exitCode() string {
	var ee *exec.ExitError
	switch {
	case tk.exitErr == nil:
		return "exit 0"
	case errors.As(tk.exitErr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exit %d", ee.ExitCode())
	}
	return tk.exitErr.Error()
}

// startFaultProxy puts the revision's fault in front of the task: the load balancer and its
// health checks talk to the proxy, the container check to the process.
func (tk *task) startFaultProxy(healthPath string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	backend, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(tk.port))
	rp := httputil.NewSingleHostReverseProxy(backend)
	rp.ErrorLog = log.New(io.Discard, "", 0) // a refused connection is the 502 the balancer counts
	f := tk.rev.Fault
	var n atomic.Int64
	tk.front = ln.Addr().String()
	tk.proxy = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == healthPath {
			if f.HealthStatus != 0 {
				http.Error(w, "fault: health check", f.HealthStatus)
				return
			}
			rp.ServeHTTP(w, r)
			return
		}
		// Deterministic share: request k fails when floor(k·share) steps up.
		k := n.Add(1)
		if int64(float64(k)*f.ErrorShare) > int64(float64(k-1)*f.ErrorShare) {
			http.Error(w, "fault: injected error", http.StatusInternalServerError)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = tk.proxy.Serve(ln) }()
	return nil
}

func (tk *task) closeProxy() {
	if tk.proxy != nil {
		_ = tk.proxy.Close()
	}
}

// containerState is the container health status.
func (tk *task) containerState() string {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return tk.container
}

// startChecks starts the container health check, if the task definition has one.
func (tk *task) startChecks(cc *ContainerCheck, clk clock, tl *timeline) {
	if cc == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	tk.stopCtx = cancel
	go tk.containerCheckLoop(ctx, *cc, clk, tl)
}
