package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Admission limits of the overload tests: small, so that a few bad clients fill them. The
// wait is long enough that "refused at once" (under half of it) and "refused after waiting"
// stay apart on a loaded machine.
const (
	slots   = 4
	backlog = 4
	maxWait = 1500 * time.Millisecond
	reqTime = 5 * time.Second
)

func startLimited(t *testing.T) *proc {
	t.Helper()
	v := publishedVault(t, "app/")
	return startReady(t, v.env(fmt.Sprintf("ADMISSION_MAX_INFLIGHT=%d", slots), fmt.Sprintf("ADMISSION_BACKLOG=%d", backlog),
		"ADMISSION_MAX_WAIT="+maxWait.String(), "REQUEST_TIMEOUT="+reqTime.String(), "SHUTDOWN_BUDGET=5s"))
}

// healthWatch polls every health path until stopped and fails the test if one is not
// answered 200: a busy task must never look unhealthy. (How fast they answer is a benchmark
// figure: make bench's capacity step.)
func healthWatch(t *testing.T, p *proc) (stop func() int) {
	t.Helper()
	done := make(chan struct{})
	var checks atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 5 * time.Second}
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			path := []string{"/healthz", "/livez", "/readyz"}[i%3]
			resp, err := client.Get(p.url + path)
			if err != nil {
				t.Errorf("health check %s: %v", path, err)
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			checks.Add(1)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("health check %s: %d, want 200", path, resp.StatusCode)
			}
		}
	}()
	return func() int { close(done); wg.Wait(); return int(checks.Load()) }
}

// holdSlots opens n requests whose bodies stop half-way: each holds a slot once admitted.
// finish sends the rest of every body and returns the statuses.
func holdSlots(t *testing.T, p *proc, n int) (finish func() []int) {
	t.Helper()
	const body = `{"name":"slow client"}`
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST /api/v1/greetings HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:4])
		conns[i] = c
	}
	time.Sleep(100 * time.Millisecond) // let the server read the headers and admit them
	return func() []int {
		codes := make([]int, n)
		for i, c := range conns {
			fmt.Fprint(c, body[4:])
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				continue
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}
		return codes
	}
}

type answer struct {
	code       int
	retryAfter string
	problem    map[string]any
	took       time.Duration
}

func call(client *http.Client, ctx context.Context, url string) (answer, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/greetings?name=e2e", nil)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	a := answer{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), took: time.Since(start)}
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		_ = json.NewDecoder(resp.Body).Decode(&a.problem)
	}
	return a, nil
}

// TestSlowHeadersTakeNoSlot: clients that never finish their headers are not requests yet;
// with many of them connected, API requests are admitted at once.
func TestSlowHeadersTakeNoSlot(t *testing.T) {
	p := startLimited(t)
	stop := healthWatch(t, p)
	for range 3 * (slots + backlog) {
		c, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprint(c, "GET /api/v1/greetings?name=e2e HTTP/1.1\r\nHost: e2e\r\nX-Slow: ")
	}
	for range 2 * slots {
		if a, err := call(http.DefaultClient, context.Background(), p.url); err != nil || a.code != 200 || a.took > maxWait {
			t.Fatalf("with slow-header clients connected: %+v %v", a, err)
		}
	}
	stop()
}

// TestSlowBodiesAndFlood: slow bodies hold every slot; a flood beyond the backlog is refused
// at once with 503, Retry-After and a problem, the backlog after MaxWait; a request that
// waits while a slot frees is admitted; the request deadline frees the slots slow bodies
// hold; health checks answer throughout.
func TestSlowBodiesAndFlood(t *testing.T) {
	p := startLimited(t)
	stop := healthWatch(t, p)
	finish := holdSlots(t, p, slots)

	const flood = 40
	answers := make([]answer, flood)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := call(&http.Client{Transport: &http.Transport{}}, context.Background(), p.url)
			if err != nil {
				t.Errorf("flood request: %v", err)
			}
			answers[i] = a
		}()
	}
	wg.Wait()
	var fast, waited int
	for _, a := range answers {
		if a.code != http.StatusServiceUnavailable || a.retryAfter != "2" || a.problem["title"] != "over capacity" {
			t.Fatalf("flood answer %+v, want 503 over capacity with Retry-After 2 (MaxWait rounded up)", a)
		}
		switch {
		case a.took >= maxWait:
			waited++
		case a.took < maxWait/2:
			fast++
		}
	}
	if waited > backlog || fast < flood-backlog-slots {
		t.Errorf("%d of %d refused after waiting MaxWait (at most the backlog, %d), %d at once", waited, flood, backlog, fast)
	}

	// A request that queues while a slot frees is admitted.
	queued := make(chan answer, 1)
	go func() { a, _ := call(http.DefaultClient, context.Background(), p.url); queued <- a }()
	time.Sleep(maxWait / 3)
	codes := finish()
	if a := <-queued; a.code != 200 {
		t.Errorf("a request waiting while the slow bodies finished: %+v", a)
	}
	for _, c := range codes {
		if c != 200 {
			t.Errorf("slow bodies that finished within the deadline: %v, want 200s", codes)
			break
		}
	}

	// Slow bodies that never finish lose their slots at the request deadline.
	holdSlots(t, p, slots)
	if a, _ := call(http.DefaultClient, context.Background(), p.url); a.code != 503 {
		t.Fatalf("with every slot held again: %+v", a)
	}
	time.Sleep(reqTime)
	if a, _ := call(http.DefaultClient, context.Background(), p.url); a.code != 200 {
		t.Errorf("after the request deadline the slow bodies' slots must be free: %+v", a)
	}
	if n := stop(); n < 10 {
		t.Errorf("only %d health checks ran", n)
	}
}

// TestCancelledClientsLeaveTheBacklog: clients that give up while queued free their place.
func TestCancelledClientsLeaveTheBacklog(t *testing.T) {
	p := startLimited(t)
	finish := holdSlots(t, p, slots)
	var wg sync.WaitGroup
	for range backlog {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), maxWait/4)
			defer cancel()
			if _, err := call(&http.Client{Transport: &http.Transport{}}, ctx, p.url); err == nil {
				t.Error("a cancelled client got an answer")
			}
		}()
	}
	wg.Wait()
	time.Sleep(50 * time.Millisecond)
	// The backlog is free again: the next request waits (and is refused after MaxWait) instead
	// of being refused at once.
	if a, _ := call(http.DefaultClient, context.Background(), p.url); a.code != 503 || a.took < maxWait {
		t.Errorf("after the cancelled clients left: %+v, want a wait of MaxWait then 503", a)
	}
	finish()
	p.signal(t)
	p.exit(t, 10*time.Second)
	if s := stoppedStats(t, p); s["cancelled"] != float64(backlog) || s["inflight"] != 0.0 {
		t.Errorf("stats at stop = %v, want %d cancelled and nothing in flight", s, backlog)
	}
}

// TestNoLeakAfterMixedRequests: 10 000 requests of every kind; afterwards nothing is in
// flight or waiting, every health check was answered, and the limit admits again in full.
func TestNoLeakAfterMixedRequests(t *testing.T) {
	p := startLimited(t)
	stop := healthWatch(t, p)
	const total, workers = 10_000, 32
	var next, ok, refused, cancelled atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for i := next.Add(1); i <= total; i = next.Add(1) {
				ctx, cancel := context.WithCancel(context.Background())
				if i%10 == 0 { // gives up while queued or running
					time.AfterFunc(time.Duration(i%7)*time.Millisecond, cancel)
				}
				var err error
				var a answer
				switch {
				case i%25 == 0: // a slow body holds its slot
					a, err = post(client, ctx, p.url, &pausedReader{data: `{"name":"mix"}`, pause: 300 * time.Millisecond})
				case i%3 == 0:
					a, err = post(client, ctx, p.url, strings.NewReader(`{"name":"mix"}`))
				default:
					a, err = call(client, ctx, p.url)
				}
				cancel()
				switch {
				case err != nil:
					cancelled.Add(1)
				case a.code == 200:
					ok.Add(1)
				case a.code == 503:
					refused.Add(1)
				default:
					t.Errorf("request %d: %+v", i, a)
				}
			}
		}()
	}
	wg.Wait()
	checks := stop()
	t.Logf("%d ok, %d refused, %d cancelled by the client; %d health checks", ok.Load(), refused.Load(), cancelled.Load(), checks)
	if ok.Load() == 0 || refused.Load() == 0 {
		t.Errorf("the mix must be admitted and refused in part: %d ok, %d refused", ok.Load(), refused.Load())
	}
	// Every slot admits again: slots slow bodies are all admitted (none refused).
	finish := holdSlots(t, p, slots)
	for _, c := range finish() {
		if c != 200 {
			t.Fatalf("after the mix, %d concurrent requests must all be admitted: got %d", slots, c)
		}
	}
	p.signal(t)
	p.exit(t, 10*time.Second)
	s := stoppedStats(t, p)
	if s["inflight"] != 0.0 || s["waiting"] != 0.0 {
		t.Fatalf("slots leaked after 10 000 requests: %v", s)
	}
}

func post(client *http.Client, ctx context.Context, url string, body io.Reader) (answer, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v1/greetings", body)
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return answer{code: resp.StatusCode}, nil
}

// stoppedStats is the limiter's figures from the server's last log line.
func stoppedStats(t *testing.T, p *proc) map[string]any {
	t.Helper()
	s, _ := p.logLine(t, "stopped")["admission"].(map[string]any)
	return s
}

// pausedReader yields its first byte, pauses, then the rest.
type pausedReader struct {
	data  string
	pause time.Duration
	at    int
}

func (r *pausedReader) Read(b []byte) (int, error) {
	if r.at == len(r.data) {
		return 0, io.EOF
	}
	end := len(r.data)
	switch r.at {
	case 0:
		end = 1
	case 1:
		time.Sleep(r.pause)
	}
	n := copy(b, r.data[r.at:end])
	r.at += n
	return n, nil
}
