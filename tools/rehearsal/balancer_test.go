package rehearsal

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testBalancer is a balancer over httptest servers standing in for tasks, health-checked every
// 20 ms, with the given deregistration delay.
func testBalancer(t *testing.T, delay time.Duration) *balancer {
	t.Helper()
	p := Plan{
		HealthCheck:         TGHealthCheck{Path: "/healthz", Interval: 20 * time.Millisecond, Timeout: time.Second, Healthy: 2, Unhealthy: 2, Matcher: "200"},
		DeregistrationDelay: delay,
	}
	b := newBalancer(p, clock{speed: 1, start: time.Now()}, &timeline{clock: clock{speed: 1, start: time.Now()}}, newMetricStore())
	if err := b.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.close)
	return b
}

// fakeTask serves /healthz with health() and /slow after release is closed.
func fakeTask(t *testing.T, id string, health func() int, release <-chan struct{}) *task {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(health())
		case "/slow":
			<-release
			io.WriteString(w, id)
		default:
			io.WriteString(w, id)
		}
	}))
	t.Cleanup(srv.Close)
	return &task{id: id, front: strings.TrimPrefix(srv.URL, "http://")}
}

func waitState(t *testing.T, b *balancer, tg *target, want string) {
	t.Helper()
	for range 200 {
		if b.stateOf(tg) == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: state %s, want %s", tg.task.id, b.stateOf(tg), want)
}

func get(t *testing.T, b *balancer, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(b.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func ok() int { return http.StatusOK }

// A new target takes traffic after one passing check; while draining it takes no new request
// but its open request finishes within the delay.
func TestDrainingFinishesOpenRequests(t *testing.T) {
	b := testBalancer(t, 2*time.Second)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	a := b.register(0, fakeTask(t, "a", ok, release))
	c := b.register(0, fakeTask(t, "c", ok, release))
	t.Cleanup(free) // before the servers close
	waitState(t, b, a, stateHealthy)
	waitState(t, b, c, stateHealthy)

	var wg sync.WaitGroup
	var slowCode int
	wg.Add(1)
	go func() { defer wg.Done(); slowCode, _ = get(t, b, "/slow") }() // round robin: one of a, c
	time.Sleep(50 * time.Millisecond)
	b.mu.Lock()
	target := a
	if a.inflight == 0 {
		target = c
	}
	b.mu.Unlock()
	done := b.deregister(target)
	for range 10 {
		if _, id := get(t, b, "/"); id == target.task.id {
			t.Fatalf("draining target %s took a new request", id)
		}
	}
	free()
	wg.Wait()
	if slowCode != http.StatusOK {
		t.Errorf("the open request ended %d while draining, want 200", slowCode)
	}
	select {
	case <-done:
		t.Error("draining ended before the deregistration delay (2.3: draining lasts the whole delay)")
	case <-time.After(200 * time.Millisecond):
	}
}

// A request still open when the delay expires is cut: the client gets a 502 from the balancer.
func TestDrainingCutsAtExpiry(t *testing.T) {
	b := testBalancer(t, 100*time.Millisecond)
	release := make(chan struct{})
	a := b.register(0, fakeTask(t, "a", ok, release))
	t.Cleanup(func() { close(release) })
	waitState(t, b, a, stateHealthy)
	codes := make(chan int, 1)
	go func() { code, _ := get(t, b, "/slow"); codes <- code }()
	time.Sleep(50 * time.Millisecond)
	<-b.deregister(a)
	select {
	case code := <-codes:
		if code != http.StatusBadGateway {
			t.Errorf("request open at the end of the delay: %d, want 502", code)
		}
	case <-time.After(2 * time.Second):
		t.Error("the request open at the end of the delay was not cut")
	}
}

// Initial targets take no traffic; a group whose targets are all unhealthy fails open (3.3).
func TestInitialAndFailOpen(t *testing.T) {
	b := testBalancer(t, time.Second)
	var mu sync.Mutex
	status := http.StatusServiceUnavailable
	health := func() int { mu.Lock(); defer mu.Unlock(); return status }
	a := b.register(0, fakeTask(t, "a", health, nil))
	if code, _ := get(t, b, "/"); code != http.StatusServiceUnavailable {
		t.Errorf("no healthy target yet: %d, want the balancer's 503", code)
	}
	waitState(t, b, a, stateUnhealthy)
	if code, id := get(t, b, "/"); code != http.StatusOK || id != "a" {
		t.Errorf("all targets unhealthy: %d %q, want fail-open to a", code, id)
	}
	mu.Lock()
	status = http.StatusOK
	mu.Unlock()
	waitState(t, b, a, stateHealthy)
}

// Weighted routing gives each group its exact share.
func TestWeightedShares(t *testing.T) {
	b := testBalancer(t, time.Second)
	blue := b.register(0, fakeTask(t, "blue", ok, nil))
	green := b.register(1, fakeTask(t, "green", ok, nil))
	waitState(t, b, blue, stateHealthy)
	waitState(t, b, green, stateHealthy)
	b.setWeights(100) // 10 %
	n := 0
	for range 200 {
		if _, id := get(t, b, "/"); id == "green" {
			n++
		}
	}
	if n != 20 {
		t.Errorf("green got %d of 200 requests at 10 %%, want 20", n)
	}
	if s := b.closeShares(); len(s) != 1 || s[0].Observed != 10 {
		t.Errorf("shares %+v", s)
	}
}
