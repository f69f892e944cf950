package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// atRate sends dbReadRate calls per second for b.load (open loop: a slow answer does not
// delay the next call) and returns every call's latency in ms and the calls completed per
// second, from the first send to the last answer.
func (b *bench) atRate(call func(context.Context, int) error) ([]float64, float64, error) {
	tick := time.NewTicker(time.Second / dbReadRate)
	defer tick.Stop()
	var mu sync.Mutex
	var lat []float64
	var firstErr error
	var wg sync.WaitGroup
	began := time.Now()
	for end := began.Add(b.load); time.Now().Before(end); <-tick.C {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			err := call(b.ctx, 1+rand.IntN(dbNotes))
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, float64(time.Since(start).Microseconds())/1000)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return lat, float64(len(lat)) / time.Since(began).Seconds(), firstErr
}

// closedLoop runs dbConcurrency clients back to back for b.load and returns calls per second.
func (b *bench) closedLoop(call func(context.Context, int) error) (float64, error) {
	ctx, cancel := context.WithTimeout(b.ctx, b.load)
	defer cancel()
	var mu sync.Mutex
	var n int
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range dbConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				err := call(b.ctx, 1+rand.IntN(dbNotes))
				mu.Lock()
				n++
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds(), firstErr
}

// poolCounters is the part of /readyz's database.pool the bench reads.
type poolCounters struct {
	Acquires    int64 `json:"acquires"`
	AcquireWait int64 `json:"acquireWaitNs"`
}

func poolStats(url string) (poolCounters, error) {
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		return poolCounters{}, err
	}
	defer resp.Body.Close()
	var body struct {
		Database struct {
			Pool *poolCounters `json:"pool"`
		} `json:"database"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Database.Pool == nil {
		return poolCounters{}, fmt.Errorf("/readyz has no pool counters (%v)", err)
	}
	return *body.Database.Pool, nil
}

// waitPerAcquireMS is the mean wait of the acquisitions between before and p.
func (p poolCounters) waitPerAcquireMS(before poolCounters) float64 {
	n := p.Acquires - before.Acquires
	if n <= 0 {
		return 0
	}
	return float64(p.AcquireWait-before.AcquireWait) / float64(n) / 1e6
}

func percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}
