package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
)

func TestVersionIsStamped(t *testing.T) {
	out, err := exec.Command(serverBin, "version").Output()
	want := fmt.Sprintf("server %s commit %s built %s\n", stamp["VERSION"], stamp["COMMIT"], stamp["BUILD_DATE"])
	if err != nil || string(out) != want {
		t.Fatalf("version = %q, %v; want %q (the Dockerfile's -X paths must match internal/buildinfo)", out, err, want)
	}
}

// TestFreshStaleUnknown: boot, fresh; a newer generation published, stale; S3 gone, unknown
// and still 200; SIGTERM, exit 0.
func TestFreshStaleUnknown(t *testing.T) {
	v := publishedVault(t, "team/app/dev/")
	p := start(t, v.env("FRESHNESS_INTERVAL=200ms", "FRESHNESS_WAIT=2s"))
	p.waitReady(t)

	opened := p.logLine(t, "vault opened")
	if opened["gen"] != 1.0 || fmt.Sprint(opened["sources"]) != "map[API_TOKEN:env BILLING_KEY:vault MISSING_KEY:missing]" {
		t.Errorf("boot log = %v", opened)
	}
	if code, body := p.get("/healthz"); code != 200 || body["status"] != "fresh" || body["gen"] != 1.0 || body["version"] != stamp["VERSION"] {
		t.Fatalf("healthz after boot: %d %v", code, body)
	}
	if code, body := p.get("/healthz"); code != 200 || fmt.Sprint(body["database"]) != "map[status:none]" {
		t.Fatalf("healthz without a database: %d %v", code, body)
	}

	v.publish(t)
	time.Sleep(300 * time.Millisecond)
	if code, body := p.get("/healthz"); code != 200 || body["status"] != "stale" || body["remoteGen"] != 2.0 {
		t.Fatalf("healthz after a newer publish: %d %v", code, body)
	}

	v.srv.Stop()
	time.Sleep(300 * time.Millisecond)
	if code, body := p.get("/healthz"); code != 200 || body["status"] != "unknown" || body["error"] != "S3UnreachableError" {
		t.Fatalf("healthz with S3 stopped: %d %v", code, body)
	}
	p.signal(t)
	if code := p.exit(t, 5*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", code, p.out)
	}
}

// TestDrainUnderLoad: clients that behave like load balancer targets (they stop sending once
// the health check says draining) keep sending, and a request is mid-flight at SIGTERM: no
// request fails, and the process exits 0 within its budget.
func TestDrainUnderLoad(t *testing.T) {
	v := publishedVault(t, "app/")
	const budget = 5 * time.Second
	p := start(t, v.env("SHUTDOWN_BUDGET=5s", "DRAIN_DELAY=1s"))
	p.waitReady(t)

	var draining atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the load balancer's health checker
		for ctx.Err() == nil && !draining.Load() {
			if code, _ := p.get("/healthz"); code == 503 {
				draining.Store(true)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var ok, failed atomic.Int64
	var errs sync.Map
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for !draining.Load() {
				resp, err := client.Post(p.url+"/api/v1/greetings", "application/json", strings.NewReader(`{"name":"load"}`))
				if err != nil {
					failed.Add(1)
					errs.Store(err.Error(), true)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}

	// A request in its handler when SIGTERM comes: its body is still arriving. (One whose
	// headers are still arriving is dropped by net/http's Shutdown by design: only requests
	// already read are in flight. On ECS none arrive after SIGTERM: the ALB drained first.)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const body = `{"name":"slow"}`
	fmt.Fprintf(conn, "POST /api/v1/greetings HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:5])
	time.Sleep(200 * time.Millisecond)

	signalled := time.Now()
	p.signal(t)
	time.Sleep(1500 * time.Millisecond) // past DRAIN_DELAY: Shutdown is waiting for this request
	fmt.Fprint(conn, body[5:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the in-flight request: %v %v\n%s", resp, err, p.out)
	}
	if resp != nil {
		resp.Body.Close()
	}

	wg.Wait()
	if code := p.exit(t, budget+2*time.Second); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.out)
	}
	if took := time.Since(signalled); took > budget {
		t.Errorf("drain took %v, over the %v budget", took, budget)
	}
	if failed.Load() != 0 || ok.Load() == 0 {
		var msgs []string
		errs.Range(func(k, _ any) bool { msgs = append(msgs, k.(string)); return true })
		t.Fatalf("%d requests failed, %d succeeded: %v", failed.Load(), ok.Load(), msgs)
	}
	t.Logf("%d requests served during the drain test, none failed", ok.Load())
}

// TestBootFailures: each vsync error class ends the process with status 1 and one structured
// line naming the class, its meaning and the fix.
func TestBootFailures(t *testing.T) {
	tests := []struct {
		name string
		env  func(t *testing.T) []string
	}{
		{"ConfigMissingError", func(t *testing.T) []string { return []string{"VSYNC_PASSPHRASE=" + passphrase} }},
		{"ConfigUnsupportedVersionError", func(t *testing.T) []string {
			return []string{"VSYNC_CONFIG=vsync-cfg-v1:ab+c/d=", "VSYNC_PASSPHRASE=" + passphrase}
		}},
		{"WrongPassphraseError", func(t *testing.T) []string {
			v := publishedVault(t, "app/")
			return []string{"VSYNC_CONFIG=" + v.token, "VSYNC_PASSPHRASE=not the passphrase"}
		}},
		{"S3UnreachableError", func(t *testing.T) []string {
			v := publishedVault(t, "app/")
			v.srv.Stop()
			return append(v.env(), "BOOT_TIMEOUT=3s")
		}},
		{"ManifestNotFoundError", func(t *testing.T) []string {
			v := publishedVault(t, "app/")
			v.srv.Store().DeleteObject(context.Background(), "app/manifest")
			return v.env()
		}},
		{"BundleCorruptError", func(t *testing.T) []string {
			v := publishedVault(t, "app/")
			v.srv.Store().PutObject(context.Background(), "app/manifest", []byte("RQEM000120990101-000000"), vsync.Condition{})
			return v.env()
		}},
		{"UnsupportedSpecVersionError", func(t *testing.T) []string {
			v := publishedVault(t, "app/")
			store := v.srv.Store()
			manifest, _, _ := store.GetObject(context.Background(), "app/manifest")
			ts, _ := vsync.ParseManifest(manifest)
			bundle, _, _ := store.GetObject(context.Background(), "app/v="+ts)
			bundle[3] = '2'
			store.PutObject(context.Background(), "app/v="+ts, bundle, vsync.Condition{})
			return v.env()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.env(t))
			if code := p.exit(t, 8*time.Second); code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, p.out)
			}
			line := p.logLine(t, "boot failed")
			if line["error"] != tt.name || line["level"] != "ERROR" || len(fmt.Sprint(line["fix"])) < 20 || line["meaning"] == nil {
				t.Fatalf("boot failure line = %v", line)
			}
		})
	}
}
