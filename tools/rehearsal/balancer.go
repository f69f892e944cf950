package rehearsal

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// Target states of an ALB target group (3.1, TGHC).
const (
	stateInitial   = "initial"
	stateHealthy   = "healthy"
	stateUnhealthy = "unhealthy"
	stateDraining  = "draining"
	stateUnused    = "unused"
)

// Headers the balancer adds to every answer, so the load can say who answered.
const (
	headerOrigin = "X-Rehearsal-Origin" // "lb" when the balancer answered itself, else "target"
	headerTask   = "X-Rehearsal-Task"
)

// target is one task's registration in a target group.
type target struct {
	task  *task
	url   *url.URL
	proxy *httputil.ReverseProxy
	state string
	// consecutive check results since the last state change
	passes, fails int
	inflight      int
	cutCtx        context.Context // cancelled when the deregistration delay expires
	cut           context.CancelFunc
	stopChecks    context.CancelFunc
	unused        chan struct{} // closed when draining is over
}

// targetGroup is an ALB target group: its targets and round-robin position.
type targetGroup struct {
	name    string
	targets []*target
	next    int
	served  int // requests forwarded since the last weight change
}

// balancer is the local ALB: one listener whose rule forwards to one or two target groups
// by weight (3.4, 6.2), each target group health-checking its targets on the template's
// schedule.
type balancer struct {
	plan    Plan
	clock   clock
	tl      *timeline
	metrics *metricStore
	client  *http.Client // health checks

	mu     sync.Mutex
	groups [2]*targetGroup
	weight [2]int // per mille; ALB rule weights are integers (0-999), 0.1 % steps need 1000ths (Silent)
	credit [2]int
	shares []Share
	srv    *http.Server
	addr   string
	wg     sync.WaitGroup // health-check loops
}

func newBalancer(plan Plan, clk clock, tl *timeline, m *metricStore) *balancer {
	return &balancer{
		plan: plan, clock: clk, tl: tl, metrics: m,
		client: &http.Client{Timeout: plan.HealthCheck.Timeout, Transport: &http.Transport{DisableKeepAlives: true}},
		groups: [2]*targetGroup{{name: "tg-a"}, {name: "tg-b"}},
		weight: [2]int{1000, 0},
	}
}

// start listens on a free loopback port.
func (b *balancer) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("balancer: %w", err)
	}
	b.addr = "http://" + ln.Addr().String()
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = b.srv.Serve(ln) }()
	return nil
}

// close stops the listener and every health-check loop, and cuts open requests.
func (b *balancer) close() {
	if b.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = b.srv.Shutdown(ctx)
		cancel()
		_ = b.srv.Close()
	}
	b.mu.Lock()
	for _, g := range b.groups {
		for _, t := range g.targets {
			t.stopChecks()
			t.cut()
		}
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// setWeights sets the production rule's weights (per mille of traffic to group 1).
func (b *balancer) setWeights(toB int) {
	b.mu.Lock()
	b.recordShare()
	b.weight = [2]int{1000 - toB, toB}
	b.credit = [2]int{}
	b.groups[0].served, b.groups[1].served = 0, 0
	b.mu.Unlock()
	b.tl.add("traffic", "", fmt.Sprintf("%s %.1f%% / %s %.1f%%", b.groups[0].name, float64(1000-toB)/10, b.groups[1].name, float64(toB)/10), "listener rule weights")
}

// register adds a task to group g in state initial and starts health checks (3.1).
func (b *balancer) register(g int, tk *task) *target {
	u, _ := url.Parse("http://" + tk.front)
	cutCtx, cut := context.WithCancel(context.Background())
	checkCtx, stopChecks := context.WithCancel(context.Background())
	t := &target{task: tk, url: u, state: stateInitial, cutCtx: cutCtx, cut: cut, stopChecks: stopChecks, unused: make(chan struct{})}
	t.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.Host = r.In.Host },
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			// The target closed the connection or the delay expired: the ALB answers 502 (2.4).
			w.Header().Set(headerOrigin, "lb")
			w.WriteHeader(http.StatusBadGateway)
		},
		ModifyResponse: func(r *http.Response) error {
			r.Header.Set(headerOrigin, "target")
			r.Header.Set(headerTask, tk.id)
			return nil
		},
	}
	b.mu.Lock()
	b.groups[g].targets = append(b.groups[g].targets, t)
	b.mu.Unlock()
	b.tl.add("target", tk.id, stateInitial, "registered in "+b.groups[g].name)
	b.wg.Add(1)
	go func() { defer b.wg.Done(); b.checkLoop(checkCtx, t) }()
	return t
}

// deregister starts draining t: no new requests, open ones may finish until the
// deregistration delay expires, then they are cut (2.4, TGA; at expiry Silent for ALB,
// Inferred 5xx from the CLB docs). The target reports draining for the whole delay even if
// it finished early (2.3, TGA), so ECS's SIGTERM comes one delay after deregistration.
func (b *balancer) deregister(t *target) <-chan struct{} {
	b.mu.Lock()
	if t.state == stateDraining || t.state == stateUnused {
		b.mu.Unlock()
		return t.unused
	}
	t.state = stateDraining
	open := t.inflight
	b.mu.Unlock()
	t.stopChecks()
	b.tl.add("target", t.task.id, stateDraining, fmt.Sprintf("%d requests open, delay %v", open, b.plan.DeregistrationDelay))
	go func() {
		time.Sleep(b.clock.scale(b.plan.DeregistrationDelay))
		b.mu.Lock()
		cutN := t.inflight
		t.state = stateUnused
		for _, g := range b.groups {
			for i, x := range g.targets {
				if x == t {
					g.targets = append(g.targets[:i:i], g.targets[i+1:]...)
					break
				}
			}
		}
		b.mu.Unlock()
		t.cut()
		detail := "deregistration delay over"
		if cutN > 0 {
			detail = fmt.Sprintf("deregistration delay over: %d open requests cut", cutN)
		}
		b.tl.add("target", t.task.id, stateUnused, detail)
		close(t.unused)
	}()
	return t.unused
}

func (b *balancer) stateOf(t *target) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return t.state
}

// unhealthyHosts is UnHealthyHostCount of each group.
func (b *balancer) unhealthyHosts() [2]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	var n [2]int
	for i, g := range b.groups {
		for _, t := range g.targets {
			if t.state == stateUnhealthy {
				n[i]++
			}
		}
	}
	return n
}

// pick chooses a group by weight (smooth weighted round robin: exact shares, no randomness),
// then a target in it.
func (b *balancer) pick() (*target, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := 0
	if b.weight[1] > 0 {
		for i := range b.credit {
			b.credit[i] += b.weight[i]
		}
		if b.credit[1] > b.credit[0] {
			g = 1
		}
		b.credit[g] -= 1000
	}
	b.groups[g].served++
	t := b.groups[g].choose()
	if t != nil {
		t.inflight++
	}
	return t, g
}

// choose returns the next healthy target round robin (3.4). With no healthy target but
// unhealthy ones the group fails open to all of them (3.3, TGH); initial and draining targets
// never take new requests (3.1, 2.4). Nil when nothing can take the request.
func (g *targetGroup) choose() *target {
	var healthy, unhealthy []*target
	for _, t := range g.targets {
		switch t.state {
		case stateHealthy:
			healthy = append(healthy, t)
		case stateUnhealthy:
			unhealthy = append(unhealthy, t)
		}
	}
	pool := healthy
	if len(pool) == 0 {
		pool = unhealthy
	}
	if len(pool) == 0 {
		return nil
	}
	g.next++
	return pool[g.next%len(pool)]
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, g := b.pick()
	if t == nil {
		// No routable target: the ALB answers 503 itself.
		b.metrics.add("HTTPCode_ELB_5XX_Count", g, 1)
		w.Header().Set(headerOrigin, "lb")
		http.Error(w, "no healthy target in "+b.groups[g].name, http.StatusServiceUnavailable)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	sent := &sentBody{ReadCloser: r.Body, at: time.Now()}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = sent
	}
	defer func() {
		b.mu.Lock()
		t.inflight--
		b.mu.Unlock()
		switch {
		case rec.Header().Get(headerOrigin) == "lb" || rec.status == 0:
			b.metrics.add("HTTPCode_ELB_5XX_Count", g, 1)
		default:
			if rec.status >= 500 {
				b.metrics.add("HTTPCode_Target_5XX_Count", g, 1)
			}
			// TargetResponseTime from the moment the request has left the balancer (its
			// body fully sent) to the target's response headers (Inferred from its
			// definition); real time, the app's own.
			b.metrics.add("TargetResponseTime", g, rec.at.Sub(sent.done()).Seconds())
		}
		b.metrics.add("RequestCount", g, 1)
	}()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(t.cutCtx, cancel)
	defer stop()
	t.proxy.ServeHTTP(rec, r.WithContext(ctx))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	at     time.Time
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status, s.at = code, time.Now()
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status, s.at = http.StatusOK, time.Now()
	}
	return s.ResponseWriter.Write(p)
}

// sentBody notes when the request body has been read to its end.
type sentBody struct {
	io.ReadCloser
	at  time.Time
	mu  sync.Mutex
	eof time.Time
}

func (b *sentBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.mu.Lock()
		b.eof = time.Now()
		b.mu.Unlock()
	}
	return n, err
}

// done is when the body was sent, or when the request arrived if it had none.
func (b *sentBody) done() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.eof.IsZero() {
		return b.at
	}
	return b.eof
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Share is the traffic the new revision's target group received under one weight.
type Share struct {
	Want     float64 `json:"want_percent"`
	Observed float64 `json:"observed_percent"`
	Requests int     `json:"requests"`
}

// recordShare closes the current weight's observation; the caller holds b.mu.
func (b *balancer) recordShare() {
	total := b.groups[0].served + b.groups[1].served
	if b.weight[1] > 0 && total > 0 {
		b.shares = append(b.shares, Share{Want: float64(b.weight[1]) / 10, Observed: 100 * float64(b.groups[1].served) / float64(total), Requests: total})
	}
}

// closeShares returns the shares observed under each weight the new revision had.
func (b *balancer) closeShares() []Share {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recordShare()
	b.groups[0].served, b.groups[1].served = 0, 0
	return append([]Share(nil), b.shares...)
}
