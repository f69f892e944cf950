package bench

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// telemetryRoute is the example API the overhead is measured on: it reads the vault, writes
// an access log line (and with tracing, a span), as a real handler does.
const telemetryRoute = "/api/v1/greetings?name=bench"

// telemetry measures the same binary with metrics on and every request traced (100 %
// sampling, exported over OTLP/HTTP to a receiver on loopback) against both off: throughput,
// p99 and the RSS with both on. Runs alternate between the two so that the machine's other
// load falls on both alike.
func (b *bench) telemetry() error {
	s3, err := vsynctest.LaunchVersityGW(versitygwBinary, filepath.Join(b.work, "s3-telemetry"), "")
	if err != nil {
		return err
	}
	defer s3.Stop()
	cfg := s3.Config("bench-telemetry/", "bench", "benchSaltBenchSalt==", 1000)
	if _, err := vsync.Publish(b.ctx, s3.Store(), cfg, benchPassphrase, vsync.Release{KV: map[string]string{"DATABASE_URL": "postgres://bench"}}, time.Now(), vsync.WithIterationFloor(1000)); err != nil {
		return err
	}
	token, err := vsync.EncodeConfig(cfg)
	if err != nil {
		return err
	}
	receiver, spans, err := otlpSink()
	if err != nil {
		return err
	}
	defer receiver.Close()
	bin, err := b.buildServer(runtime.GOARCH)
	if err != nil {
		return err
	}
	if err := installWrk(); err != nil {
		return err
	}
	base := []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + benchPassphrase, "FRESHNESS_INTERVAL=" + freshnessEvery.String()}
	off := slices.Concat(base, []string{"METRICS_INTERVAL=0", "OTEL_TRACES_EXPORTER=none"})
	metricsOnly := slices.Concat(base, []string{"METRICS_INTERVAL=60s", "OTEL_TRACES_EXPORTER=none"})
	on := slices.Concat(base, []string{"METRICS_INTERVAL=60s", "OTEL_TRACES_EXPORTER=otlp", "OTEL_TRACES_SAMPLER=always_on",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://" + receiver.Addr().String() + "/v1/traces"})

	var offRPS, offP99, offCPU, metricsRPS, metricsCPU, onRPS, onP99, onCPU []float64
	var peak float64
	for range b.runs {
		r, err := b.loadOnce(bin, off)
		if err != nil {
			return err
		}
		offRPS, offP99, offCPU = append(offRPS, r.rps), append(offP99, r.p99), append(offCPU, r.cpuPerRequest)
		if r, err = b.loadOnce(bin, metricsOnly); err != nil {
			return err
		}
		metricsRPS, metricsCPU = append(metricsRPS, r.rps), append(metricsCPU, r.cpuPerRequest)
		if r, err = b.loadOnce(bin, on); err != nil {
			return err
		}
		onRPS, onP99, onCPU, peak = append(onRPS, r.rps), append(onP99, r.p99), append(onCPU, r.cpuPerRequest), max(peak, r.peakRSS)
	}
	if spans.Load() == 0 {
		return fmt.Errorf("the OTLP receiver got no export: tracing was not on")
	}
	throughput := 100 * (1 - median(onRPS)/median(offRPS))
	latency := 100 * (median(onP99)/median(offP99) - 1)
	b.report.add(figure{Name: telemetryRoute + " req/s, telemetry off", Value: median(offRPS), Unit: "req/s", Note: fmt.Sprintf("p99 %.2f ms", median(offP99))})
	b.report.add(figure{Name: telemetryRoute + " req/s, metrics + 100 % traces", Value: median(onRPS), Unit: "req/s", Note: fmt.Sprintf("p99 %.2f ms; %d span exports received", median(onP99), spans.Load())})
	b.report.add(figure{Name: telemetryRoute + " req/s, metrics only", Value: median(metricsRPS), Unit: "req/s", Note: "where the overhead comes from"})
	b.report.add(figure{Name: "server CPU per request: off / metrics / both", Value: median(onCPU), Unit: "µs",
		Note: fmt.Sprintf("off %.1f µs, metrics only %.1f µs, metrics + traces %.1f µs (+%.0f %%)", median(offCPU), median(metricsCPU), median(onCPU), 100*(median(onCPU)/median(offCPU)-1))})
	t, met := target(throughput, 10, true, "<= 10 %")
	b.report.add(figure{Name: "telemetry throughput overhead", Value: throughput, Unit: "%", Target: t, Met: met})
	t, met = target(latency, 10, true, "<= 10 %")
	b.report.add(figure{Name: "telemetry p99 overhead", Value: latency, Unit: "%", Target: t, Met: met})
	t, met = target(peak, 40, true, "<= 40 MiB")
	b.report.add(figure{Name: "server RSS under load, telemetry on", Value: peak, Unit: "MiB", Target: t, Met: met, Note: "peak of 100 ms samples"})
	return nil
}

// loadRun is one load of the example route.
type loadRun struct {
	rps, p99, peakRSS float64
	// cpuPerRequest is the server's CPU time (user + system) per request served, in µs: unlike
	// throughput it hardly moves with what else the machine runs.
	cpuPerRequest float64
}

// loadOnce starts the server with env, loads the example route, and measures it.
func (b *bench) loadOnce(bin string, env []string) (loadRun, error) {
	svc, _, err := startServer(b.ctx, bin, env)
	if err != nil {
		return loadRun{}, err
	}
	defer svc.stop()
	done := make(chan struct{})
	peak := make(chan float64, 1)
	go func() {
		var p float64
		defer func() { peak <- p }()
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
				p = max(p, rssMiB(svc.cmd.Process.Pid))
			}
		}
	}()
	cpu := cpuSeconds(svc.cmd.Process.Pid)
	rps, p99, err := b.wrk(svc.url + telemetryRoute)
	cpu = cpuSeconds(svc.cmd.Process.Pid) - cpu
	close(done)
	r := loadRun{rps: rps, p99: p99, peakRSS: <-peak}
	if rps > 0 {
		r.cpuPerRequest = cpu / (rps * b.load.Seconds()) * 1e6
	}
	return r, err
}

// cpuSeconds is a process's user and system CPU time so far (/proc/<pid>/stat fields 14 and
// 15, in clock ticks of 1/100 s: USER_HZ is 100 on Linux).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count fields after its closing parenthesis.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100
}

// otlpSink is an OTLP/HTTP traces receiver that accepts every export (an empty body is an
// empty ExportTraceServiceResponse) and counts them.
func otlpSink() (net.Listener, *atomic.Int64, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	n := &atomic.Int64{}
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { //nolint:errcheck // ends when the listener closes
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	return l, n, nil
}
