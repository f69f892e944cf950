package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

const (
	benchPassphrase  = "bench passphrase"
	referenceIters   = 600_000
	freshnessEvery   = 30 * time.Second
	loadConnections  = "64"
	versitygwBinary  = ".tools/bin/versitygw"
	bareServerSwitch = "bare-server"
)

// service measures the server against versitygw on loopback, through a proxy that counts S3
// requests: boot-to-ready next to key derivation alone, /healthz throughput and p99 next to a
// bare net/http handler, and RSS idle and under load.
func (b *bench) service() error {
	bin, env, counter, stop, err := b.vaultServer("s3")
	if err != nil {
		return err
	}
	defer stop()
	if err := b.bootToReady(bin, env); err != nil {
		return err
	}
	return b.loadHealthz(bin, env, counter)
}

// vaultServer starts versitygw (its data in dir under the work directory) with a published
// vault behind a counting proxy, and builds the server as the Dockerfile does: the binary and
// the environment that boots it.
func (b *bench) vaultServer(dir string) (bin string, env []string, s3Requests *atomic.Int64, stop func(), err error) {
	s3, err := vsynctest.LaunchVersityGW(versitygwBinary, filepath.Join(b.work, dir), "")
	if err != nil {
		return "", nil, nil, nil, err
	}
	proxy, counter, err := countingProxy(s3.Endpoint)
	if err != nil {
		s3.Stop()
		return "", nil, nil, nil, err
	}
	stop = func() { proxy.Close(); s3.Stop() }
	cfg := s3.Config("bench/", "bench", "benchSaltBenchSalt==", referenceIters)
	if _, err := vsync.Publish(b.ctx, s3.Store(), cfg, benchPassphrase, vsync.Release{KV: map[string]string{"BILLING_KEY": "bench-billing-key"}}, time.Now()); err != nil {
		stop()
		return "", nil, nil, nil, err
	}
	cfg.Endpoint = "http://" + proxy.Addr().String()
	token, err := vsync.EncodeConfig(cfg)
	if err == nil {
		bin, err = b.buildServer(runtime.GOARCH)
	}
	if err != nil {
		stop()
		return "", nil, nil, nil, err
	}
	env = []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + benchPassphrase, "LOG_LEVEL=error", "FRESHNESS_INTERVAL=" + freshnessEvery.String()}
	return bin, env, counter, stop, nil
}

func (b *bench) bootToReady(bin string, env []string) error {
	var boots, derives []float64
	for range b.runs {
		start := time.Now()
		vsync.DeriveKey(benchPassphrase, "benchSaltBenchSalt==", referenceIters)
		derives = append(derives, time.Since(start).Seconds()*1000)

		p, ms, err := startServer(b.ctx, bin, env)
		if err != nil {
			return err
		}
		boots = append(boots, ms)
		p.stop()
	}
	boot, derive := median(boots), median(derives)
	t, met := target(boot, derive+100, true, fmt.Sprintf("<= derivation + 100 ms (%.0f ms)", derive+100))
	b.report.add(figure{Name: "boot to first /healthz 200", Value: boot, Unit: "ms", Target: t, Met: met, Note: "process start, vault from loopback S3"})
	b.report.add(figure{Name: "key derivation alone (PBKDF2, 600000)", Value: derive, Unit: "ms"})
	return nil
}

func (b *bench) loadHealthz(bin string, env []string, s3Requests *atomic.Int64) error {
	if err := installWrk(); err != nil {
		return err
	}
	svc, _, err := startServer(b.ctx, bin, env)
	if err != nil {
		return err
	}
	defer svc.stop()
	bare, err := startBare(b.ctx)
	if err != nil {
		return err
	}
	defer bare.stop()
	time.Sleep(time.Second)
	idle := rssMiB(svc.cmd.Process.Pid)

	var ours, theirs, p99s, bareP99s []float64
	var peak float64
	var requests int64
	for range b.runs {
		s3Requests.Store(0)
		done := make(chan struct{})
		go func() { // sample the server's RSS while it is under load
			for {
				select {
				case <-done:
					return
				case <-time.After(100 * time.Millisecond):
					peak = max(peak, rssMiB(svc.cmd.Process.Pid))
				}
			}
		}()
		rps, p99, err := b.wrk(svc.url + "/healthz")
		close(done)
		if err != nil {
			return err
		}
		requests = max(requests, s3Requests.Load())
		bareRPS, bareP99, err := b.wrk(bare.url + "/healthz")
		if err != nil {
			return err
		}
		ours, p99s, theirs, bareP99s = append(ours, rps), append(p99s, p99), append(theirs, bareRPS), append(bareP99s, bareP99)
	}
	ratio := median(ours) / median(theirs)
	t, met := target(ratio, 0.8, false, ">= 0.8")
	b.report.add(figure{Name: "/healthz req/s at concurrency " + loadConnections, Value: median(ours), Unit: "req/s", Note: fmt.Sprintf("p99 %.2f ms", median(p99s))})
	b.report.add(figure{Name: "bare net/http handler req/s", Value: median(theirs), Unit: "req/s", Note: fmt.Sprintf("p99 %.2f ms", median(bareP99s))})
	b.report.add(figure{Name: "/healthz over bare handler", Value: ratio, Unit: "x", Target: t, Met: met})
	checks := float64(requests) / 2 // one freshness check is a GET of manifest and of latest.meta
	intervals := max(1, b.load.Seconds()/freshnessEvery.Seconds())
	t, met = target(checks/intervals, 1, true, "<= 1 per interval")
	b.report.add(figure{Name: "S3 freshness checks during a load run", Value: checks, Unit: "checks", Target: t, Met: met,
		Note: fmt.Sprintf("%d S3 requests in %v, FRESHNESS_INTERVAL %v", requests, b.load, freshnessEvery)})
	b.report.add(figure{Name: "server RSS idle", Value: idle, Unit: "MiB"})
	t, met = target(peak, 40, true, "<= 40 MiB")
	b.report.add(figure{Name: "server RSS under load", Value: peak, Unit: "MiB", Target: t, Met: met, Note: "peak of 100 ms samples"})
	return nil
}

// wrk runs a load at concurrency 64 and returns requests per second and p99 latency (ms).
func (b *bench) wrk(target string) (float64, float64, error) {
	out, err := exec.CommandContext(b.ctx, "wrk", "-t2", "-c"+loadConnections, "-d"+fmt.Sprint(int(b.load.Seconds()))+"s", "--latency", target).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	rps := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
	p99 := regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)`).FindSubmatch(out)
	if rps == nil || p99 == nil || strings.Contains(string(out), "Non-2xx") {
		return 0, 0, fmt.Errorf("wrk output not understood (or non-2xx answers):\n%s", out)
	}
	r, _ := strconv.ParseFloat(string(rps[1]), 64)
	l, _ := strconv.ParseFloat(string(p99[1]), 64)
	return r, l * map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[string(p99[2])], nil
}

func installWrk() error {
	if _, err := exec.LookPath("wrk"); err == nil {
		return nil
	}
	if out, err := exec.Command("sh", "-c", "apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk)").CombinedOutput(); err != nil {
		return fmt.Errorf("install wrk from Debian: %w\n%s", err, out)
	}
	return nil
}

// process is a server under measurement.
type process struct {
	cmd *exec.Cmd
	url string
}

func (p process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
}

// startServer starts bin and returns it once /healthz answers 200, with the milliseconds that
// took from process start.
func startServer(ctx context.Context, bin string, env []string) (process, float64, error) {
	port, err := freePort()
	if err != nil {
		return process{}, 0, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append([]string{"PORT=" + strconv.Itoa(port)}, env...)
	p := process{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return p, 0, err
	}
	ms, err := waitHealthy(p.url, start)
	if err != nil {
		p.stop()
	}
	return p, ms, err
}

// startBare re-executes this binary as a bare net/http server.
func startBare(ctx context.Context) (process, error) {
	port, err := freePort()
	if err != nil {
		return process{}, err
	}
	cmd := exec.CommandContext(ctx, os.Args[0], bareServerSwitch, strconv.Itoa(port))
	p := process{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := cmd.Start(); err != nil {
		return p, err
	}
	_, err = waitHealthy(p.url, time.Now())
	return p, err
}

// bareServer answers every request with a small JSON body, as the baseline.
func bareServer(port string) error {
	return http.ListenAndServe("127.0.0.1:"+port, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"fresh"}` + "\n"))
	}))
}

func waitHealthy(url string, start time.Time) (float64, error) {
	client := &http.Client{Timeout: time.Second}
	for time.Since(start) < 30*time.Second {
		if resp, err := client.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return float64(time.Since(start).Microseconds()) / 1000, nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, errors.New(url + " was not healthy within 30s")
}

// countingProxy forwards to endpoint and counts the requests.
func countingProxy(endpoint string) (net.Listener, *atomic.Int64, error) {
	target, err := url.Parse(endpoint)
	if err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	var n atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { //nolint:errcheck // ends when the listener closes
		n.Add(1)
		rp.ServeHTTP(w, r)
	}))
	return l, &n, nil
}

func freePort() (int, error) {
	addr, err := vsynctest.LoopbackAddr()
	if err != nil {
		return 0, err
	}
	_, port, _ := net.SplitHostPort(addr)
	return strconv.Atoi(port)
}

// rssMiB is a process's resident set size.
func rssMiB(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb float64
		if _, err := fmt.Sscanf(sc.Text(), "VmRSS: %f kB", &kb); err == nil {
			return kb / 1024
		}
	}
	return 0
}
