package bench

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// The capacity bench holds the server to a sixteenth of a vCPU (a CFS quota, as Fargate
// holds a task to its vCPU): the example API's requests cost the server about what they cost
// the load generator, which shares the machine, so only a server this small can be offered
// five times what it serves. Capacity per vCPU is the knee divided by that share (the
// handlers are CPU-bound Go, which scales with the CPU it is given). It loads the cheapest API
// route with the access log on, as in a task. The knee is
// found by a closed-loop sweep of concurrency: the first level whose throughput is within
// kneeShare of the best level's; past it, more concurrency buys little throughput and only
// queues (p99 grows with it).
const (
	capacityRoute = "/api/v1/greetings?name=bench"
	taskVCPU      = 1.0 / 16
	sweepStep     = 3 * time.Second
	kneeShare     = 0.90
	loadConns     = 256
	healthEvery   = 100 * time.Millisecond
)

var sweepLevels = []int{1, 2, 4, 8, 16, 32, 64, 128}

// admission is the server's environment with admission control on (the CDK app's least
// limits, for a task this small: infra/settings/overload.go) or off.
func admission(on bool) []string {
	inflight := "0"
	if on {
		inflight = "8"
	}
	return []string{"ADMISSION_MAX_INFLIGHT=" + inflight, "ADMISSION_BACKLOG=8", "ADMISSION_MAX_WAIT=500ms", "REQUEST_TIMEOUT=10s"}
}

// capacity measures one task's capacity (the knee) and then the same binary with admission
// control on and off at 1×, 2× and 5× that capacity.
func (b *bench) capacity() error {
	bin, env, _, stop, err := b.vaultServer("s3-capacity")
	if err != nil {
		return err
	}
	defer stop()
	quota, err := newCPUQuota(fmt.Sprintf("keel-bench-%d", os.Getpid()), taskVCPU)
	if err != nil {
		return err
	}
	defer quota.remove()
	env = append(withoutVar(env, "LOG_LEVEL"), "LOG_LEVEL=info")
	knee, kneeP99, kneeConc, err := b.knee(bin, append(env, admission(false)...), quota)
	if err != nil {
		return err
	}
	b.report.add(figure{Name: fmt.Sprintf("capacity: knee (%.4g vCPU)", taskVCPU), Value: knee, Unit: "req/s",
		Note: fmt.Sprintf("GET %s at concurrency %d, p99 %.2f ms; per vCPU %.0f (infra/settings/capacity.go KneeRequestsPerSecondPerVCPU)", capacityRoute, kneeConc, kneeP99, knee/taskVCPU)})
	refusals, err := b.refusalRate(bin, env, quota, kneeConc)
	if err != nil {
		return err
	}
	b.report.add(figure{Name: fmt.Sprintf("capacity: refusals (%.4g vCPU)", taskVCPU), Value: refusals, Unit: "req/s",
		Note: fmt.Sprintf("503s a second with every slot held, at concurrency %d: %.2f× the knee (what refusing costs next to serving)", kneeConc, refusals/knee)})
	for _, on := range []bool{true, false} {
		if err := b.overload(bin, append(env, admission(on)...), quota, on, knee); err != nil {
			return err
		}
	}
	return nil
}

// refusalRate is how many requests a second the server refuses on the same CPU: its one slot
// is held by a request whose body never finishes, so every other request is a 503.
func (b *bench) refusalRate(bin string, env []string, quota *cpuQuota, conc int) (float64, error) {
	env = append(env, "ADMISSION_MAX_INFLIGHT=1", "ADMISSION_BACKLOG=0", "REQUEST_TIMEOUT=15s")
	svc, err := b.startLimited(bin, env, quota)
	if err != nil {
		return 0, err
	}
	defer svc.stop()
	hold, err := net.Dial("tcp", strings.TrimPrefix(svc.url, "http://"))
	if err != nil {
		return 0, err
	}
	defer hold.Close()
	fmt.Fprint(hold, "POST /api/v1/greetings HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{")
	time.Sleep(200 * time.Millisecond) // admitted, now waiting for the rest of its body
	r := closedLoop(b.ctx, svc.url+capacityRoute, conc, sweepStep)
	if r.OK+r.Failed > 0 || r.Refused == 0 {
		return 0, fmt.Errorf("refusal run: %d ok, %d failed, %d refused; want only refusals", r.OK, r.Failed, r.Refused)
	}
	return float64(r.Refused) / r.Elapsed.Seconds(), nil
}

// startLimited starts the server and then holds it to the quota (its boot, which derives the
// vault key, is not what is measured).
func (b *bench) startLimited(bin string, env []string, quota *cpuQuota) (process, error) {
	svc, _, err := startServer(b.ctx, bin, env)
	if err == nil {
		if err = quota.add(svc.cmd.Process.Pid); err != nil {
			svc.stop()
		}
	}
	return svc, err
}

func (b *bench) knee(bin string, env []string, quota *cpuQuota) (rps, p99 float64, conc int, err error) {
	svc, err := b.startLimited(bin, env, quota)
	if err != nil {
		return 0, 0, 0, err
	}
	defer svc.stop()
	type level struct {
		conc     int
		rps, p99 float64
	}
	var levels []level
	best := 0.0
	for _, c := range sweepLevels {
		r := closedLoop(b.ctx, svc.url+capacityRoute, c, sweepStep)
		if r.Failed+r.Refused > 0 {
			return 0, 0, 0, fmt.Errorf("capacity sweep at concurrency %d: %d refused, %d failed", c, r.Refused, r.Failed)
		}
		levels = append(levels, level{c, r.Goodput(), r.P99()})
		best = max(best, r.Goodput())
		fmt.Fprintf(b.log, "bench:   concurrency %3d: %7.0f req/s, p99 %6.2f ms\n", c, r.Goodput(), r.P99())
	}
	for _, l := range levels {
		if l.rps >= kneeShare*best {
			return l.rps, l.p99, l.conc, nil
		}
	}
	return 0, 0, 0, fmt.Errorf("no knee in %v", levels)
}

// overloadRow is one line of the on/off table.
type overloadRow struct {
	on                    bool
	times                 int
	offered               float64
	res                   *loadResult
	rssMiB, healthMaxSecs float64
	healthFailed          int
}

// overload runs a fresh server at 1×, 2× and 5× capacity for b.overloadFor each, and reports
// the table's rows; with admission on, the 5× row is held to the targets.
func (b *bench) overload(bin string, env []string, quota *cpuQuota, on bool, capacity float64) error {
	svc, err := b.startLimited(bin, env, quota)
	if err != nil {
		return err
	}
	defer svc.stop()
	var rows []overloadRow
	for _, times := range []int{1, 2, 5} {
		row := overloadRow{on: on, times: times, offered: capacity * float64(times)}
		watch := watchServer(b.ctx, svc)
		row.res = openLoop(b.ctx, svc.url+capacityRoute, row.offered, b.overloadFor, loadConns)
		row.rssMiB, row.healthMaxSecs, row.healthFailed = watch()
		rows = append(rows, row)
		fmt.Fprintf(b.log, "bench:   %s\n", row)
		time.Sleep(2 * time.Second) // let the previous run's connections close
	}
	for _, row := range rows {
		b.report.add(row.figure(rows[0].res.P99(), capacity))
	}
	return nil
}

func (r overloadRow) String() string {
	return fmt.Sprintf("admission %-3s %d×: offered %.0f/s, goodput %.0f/s, refused %.1f %%, failed %d, skipped %d, p99 admitted %.2f ms, RSS %.1f MiB, slowest health check %.3f s (%d failed)",
		onOff(r.on), r.times, r.offered, r.res.Goodput(), 100*r.res.RefusedShare(), r.res.Failed, r.res.Skipped, r.res.P99(), r.rssMiB, r.healthMaxSecs, r.healthFailed)
}

// figure states the row; the 5× row with admission on carries the targets: goodput >= 90 % of
// capacity, p99 of admitted <= 2× its 1× value, RSS <= 64 MiB, every health check within 1 s.
func (r overloadRow) figure(p99At1 float64, capacity float64) figure {
	f := figure{Name: fmt.Sprintf("overload, admission %s, %d× capacity: goodput", onOff(r.on), r.times), Value: r.res.Goodput(), Unit: "req/s",
		Note: fmt.Sprintf("refused %.1f %%, p99 admitted %.2f ms, RSS %.1f MiB, slowest health check %.3f s, %d failed, %d not sent (over 1 s late)",
			100*r.res.RefusedShare(), r.res.P99(), r.rssMiB, r.healthMaxSecs, r.res.Failed, r.res.Skipped)}
	if r.on && r.times == 5 {
		met := r.res.Goodput() >= 0.9*capacity && r.res.P99() <= 2*p99At1 && r.rssMiB <= 64 && r.healthMaxSecs < 1 && r.healthFailed == 0
		f.Target = fmt.Sprintf(">= %.0f/s, p99 <= %.2f ms, RSS <= 64 MiB, health < 1 s", 0.9*capacity, 2*p99At1)
		f.Met = &met
	}
	return f
}

func onOff(on bool) string { return map[bool]string{true: "on", false: "off"}[on] }

// watchServer samples the server's RSS and checks /healthz every healthEvery until the
// returned function is called, which gives the peak RSS, the slowest check and the failures.
func watchServer(ctx context.Context, svc process) func() (rssMiB, slowest float64, failed int) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peak, worst float64
	var bad int
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-done:
				return
			case <-time.After(healthEvery):
			}
			peak = max(peak, rssMiB(svc.cmd.Process.Pid))
			start := time.Now()
			code, err := do(ctx, client, svc.url+"/healthz")
			worst = math.Max(worst, time.Since(start).Seconds())
			if err != nil || code != http.StatusOK {
				bad++
			}
		}
	}()
	return func() (float64, float64, int) { close(done); wg.Wait(); return peak, worst, bad }
}

func withoutVar(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
