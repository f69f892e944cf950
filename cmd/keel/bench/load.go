package bench

import (
	"context"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what a load run saw. Latencies of answered requests count from when the
// request was due (open loop) or sent (closed loop), so a slow server cannot hide its queue.
type loadResult struct {
	Elapsed time.Duration
	// OK are 200s, Refused 503s, Failed other answers and errors (timeouts, resets).
	OK, Refused, Failed int64
	// Skipped are requests an open loop did not send because they were more than a second
	// late: the server had stopped answering at the offered rate.
	Skipped   int64
	okLatency []time.Duration
	mu        sync.Mutex
}

func (r *loadResult) record(code int, err error, took time.Duration) {
	switch {
	case err != nil:
		atomic.AddInt64(&r.Failed, 1)
	case code == http.StatusOK:
		atomic.AddInt64(&r.OK, 1)
		r.mu.Lock()
		r.okLatency = append(r.okLatency, took)
		r.mu.Unlock()
	case code == http.StatusServiceUnavailable:
		atomic.AddInt64(&r.Refused, 1)
	default:
		atomic.AddInt64(&r.Failed, 1)
	}
}

// Goodput is answered 200s per second.
func (r *loadResult) Goodput() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

// RefusedShare is the share of sent requests answered 503.
func (r *loadResult) RefusedShare() float64 {
	sent := r.OK + r.Refused + r.Failed
	if sent == 0 {
		return 0
	}
	return float64(r.Refused) / float64(sent)
}

// P99 is the 99th percentile latency of the 200s in milliseconds (nearest rank).
func (r *loadResult) P99() float64 {
	if len(r.okLatency) == 0 {
		return math.NaN()
	}
	s := slices.Clone(r.okLatency)
	slices.Sort(s)
	return float64(s[int(math.Ceil(0.99*float64(len(s))))-1].Microseconds()) / 1000
}

// loadClient is an HTTP client that keeps as many connections as there are requests in flight.
func loadClient() *http.Client {
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4096, DisableCompression: true}}
}

func do(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// closedLoop keeps conc requests in flight, each sent as the previous one is answered, for d.
func closedLoop(ctx context.Context, url string, conc int, d time.Duration) *loadResult {
	client, r := loadClient(), &loadResult{}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				sent := time.Now()
				code, err := do(ctx, client, url)
				if ctx.Err() != nil {
					return // cut by the end of the run: not the server's failure
				}
				r.record(code, err, time.Since(sent))
			}
		}()
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	return r
}

// openLoop sends rate requests per second for d whatever the answers, as independent clients
// do, over conns connections. A request waits in the client until a connection is free; one
// more than a second behind its time is skipped (and counted): the server is not keeping up.
func openLoop(ctx context.Context, url string, rate float64, d time.Duration, conns int) *loadResult {
	client, r := loadClient(), &loadResult{}
	defer client.CloseIdleConnections()
	due := make(chan time.Time, max(1, int(rate)))
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for at := range due {
				code, err := do(ctx, client, url)
				r.record(code, err, time.Since(at))
			}
		}()
	}
	start := time.Now()
	for n := int64(0); ; time.Sleep(200 * time.Microsecond) {
		now := time.Since(start)
		if now >= d || ctx.Err() != nil {
			break
		}
		for target := int64(now.Seconds() * rate); n < target; n++ {
			select {
			case due <- start.Add(time.Duration(float64(n) / rate * float64(time.Second))):
			default:
				r.Skipped++
			}
		}
	}
	close(due)
	wg.Wait() // answers after the sending stopped count, and so does the time they took
	r.Elapsed = time.Since(start)
	return r
}
