package rehearsal

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Load is the client traffic sent through the balancer while the service deploys.
type Load struct {
	// Rate is steady requests per real second (GET /livez and POST /api/v1/greetings in turn:
	// the rehearsal's tasks have no database, so the API's GETs would answer 503).
	Rate int
	// SlowClients each send slow-body uploads to POST /api/v1/greetings back to back, every
	// one lasting Longest (template time, scaled by the speed factor): the app has no endpoint
	// that is slow on purpose, and a slow upload needs no switch in the production binary.
	SlowClients int
	// Longest is the longest request the stage should survive (template time).
	Longest time.Duration
}

// outcome is one request's result.
type outcome struct {
	phase   string
	latency time.Duration
	status  int // 0: no answer
	lb      bool
	task    string
	slow    bool
}

// failed says whether the client saw a failure, and whether the deployment itself caused it
// (the balancer answered, or the connection broke) rather than a target answering 5xx.
func (o outcome) failed() (failed, byDeployment bool) {
	if o.status == 0 || o.lb {
		return true, true
	}
	return o.status >= 500, false
}

// loader sends the load and records every answer.
type loader struct {
	load   Load
	clock  clock
	url    string
	phase  func() string
	client *http.Client
	mu     sync.Mutex
	out    []outcome
	wg     sync.WaitGroup
}

func newLoader(load Load, clk clock, url string, phase func() string) *loader {
	longest := clk.scale(load.Longest)
	return &loader{load: load, clock: clk, url: url, phase: phase, client: &http.Client{
		Timeout:   longest + 30*time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
}

// run sends until ctx ends and waits for every open request to finish.
func (l *loader) run(ctx context.Context) {
	for i := range l.load.SlowClients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			// Staggered starts: at any moment the slow requests are spread evenly over their
			// length, so a drain always meets some that have just begun.
			if sleep(ctx, l.clock.scale(l.load.Longest)*time.Duration(i)/time.Duration(l.load.SlowClients)) != nil {
				return
			}
			for ctx.Err() == nil {
				l.send(http.MethodPost, "/api/v1/greetings", true, i)
			}
		}()
	}
	if l.load.Rate > 0 {
		tick := time.NewTicker(time.Second / time.Duration(l.load.Rate))
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				l.wg.Wait()
				return
			case <-tick.C:
			}
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				if n%2 == 0 {
					l.send(http.MethodGet, "/livez", false, n)
				} else {
					l.send(http.MethodPost, "/api/v1/greetings", false, n)
				}
			}()
		}
	}
	<-ctx.Done()
	l.wg.Wait()
}

func (l *loader) send(method, path string, slow bool, n int) {
	phase := l.phase()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(fmt.Sprintf(`{"name":"client %d"}`, n))
		if slow {
			body = slowBody(fmt.Sprintf("slow client %d", n), l.clock.scale(l.load.Longest))
		}
	}
	req, _ := http.NewRequest(method, l.url+path, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := l.client.Do(req)
	o := outcome{phase: phase, slow: slow}
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil { // a truncated body is a failure too
			o.status, o.lb, o.task = resp.StatusCode, resp.Header.Get(headerOrigin) == "lb", resp.Header.Get(headerTask)
		}
	}
	o.latency = time.Since(start)
	l.mu.Lock()
	l.out = append(l.out, o)
	l.mu.Unlock()
}

// slowBody writes a JSON greeting over d in ten steps.
func slowBody(name string, d time.Duration) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `{"name":"`)
		step := d / 10
		for i := range 10 {
			time.Sleep(step)
			if _, err := io.WriteString(pw, string(name[i%len(name)])); err != nil {
				return
			}
		}
		_, _ = io.WriteString(pw, `"}`)
		_ = pw.Close()
	}()
	return pr
}

func (l *loader) outcomes() []outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]outcome(nil), l.out...)
}
