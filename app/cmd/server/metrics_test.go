package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keelstack/keel/app/internal/telemetry"
	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// servedVault publishes a vault on an in-process S3 server and returns the service's
// environment for it, on a free port.
func servedVault(t *testing.T, extra map[string]string) (env func(string) (string, bool), url string) {
	t.Helper()
	srv := vsynctest.StartGoFakeS3(t)
	cfg := srv.Config("svc/", "test", "c2FsdHNhbHRzYWx0c2FsdA==", 1000)
	if _, err := vsync.Publish(context.Background(), srv.Store(), cfg, "pass", vsync.Release{KV: map[string]string{"BILLING_KEY": "x"}}, time.Now(), vsync.WithIterationFloor(1000)); err != nil {
		t.Fatal(err)
	}
	token, err := vsync.EncodeConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := vsynctest.LoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	kv := map[string]string{"VSYNC_CONFIG": token, "VSYNC_PASSPHRASE": "pass", "LISTEN_HOST": host, "PORT": port}
	for k, v := range extra {
		kv[k] = v
	}
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }, "http://" + addr
}

// serveUntil runs the service until stop, returning everything it wrote.
func serveUntil(t *testing.T, env func(string) (string, bool), url string, work func()) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env, out, out) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), `"msg":"ready"`) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("not ready:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	work()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, out)
	}
	return out.String()
}

func get(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestEveryMetricLineIsValidEMF runs the service with a 1 s interval: every line with an _aws
// member satisfies the EMF specification, and the vault's gauges are among them.
func TestEveryMetricLineIsValidEMF(t *testing.T) {
	env, url := servedVault(t, map[string]string{"METRICS_INTERVAL": "1s", "OTEL_SERVICE_NAME": "keel-test"})
	out := serveUntil(t, env, url, func() {
		for i := range 50 {
			get(t, fmt.Sprintf("%s/api/v1/greetings?name=%d", url, i))
			get(t, fmt.Sprintf("%s/nope/%d", url, i))
		}
		time.Sleep(1200 * time.Millisecond)
	})
	metrics, seen := 0, map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<21)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, []byte(`"_aws"`)) {
			continue
		}
		metrics++
		if err := telemetry.Validate(line); err != nil {
			t.Errorf("%v: %s", err, line)
		}
		for _, name := range []string{`"Route":"/api/v1/greetings"`, `"Route":"unmatched"`, `"VaultGeneration":1`, `"VaultFreshnessAge":`} {
			if bytes.Contains(line, []byte(name)) {
				seen[name] = true
			}
		}
	}
	if metrics == 0 || len(seen) != 4 {
		t.Fatalf("%d metric lines, seen %v; output:\n%s", metrics, seen, out)
	}
}
