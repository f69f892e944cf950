package vsynctest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is what the FaultProxy does to a request that a rule selects.
type Fault int

const (
	// Pass forwards the request and its answer unchanged (what unmatched requests get).
	Pass Fault = iota
	// LoseResponse forwards the request, waits until the server has answered (so a write is
	// applied), then resets the client's connection: the client never learns the outcome.
	LoseResponse
	// HangAfterApply forwards the request, then holds the answer until the client gives up
	// (its timeout) or the proxy closes: a response slower than the client's timeout.
	HangAfterApply
	// ResetBefore resets the client's connection without forwarding anything.
	ResetBefore
	// Status500 and Status503 answer with that status without forwarding.
	Status500
	Status503
	// Delay waits Rule.Delay (or until the client gives up), then forwards.
	Delay
)

func (f Fault) String() string {
	switch f {
	case Pass:
		return "pass"
	case LoseResponse:
		return "response lost after apply"
	case HangAfterApply:
		return "response held past the client timeout"
	case ResetBefore:
		return "connection reset before forwarding"
	case Status500:
		return "500 without forwarding"
	case Status503:
		return "503 without forwarding"
	case Delay:
		return "delayed"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Rule selects requests by method and object key and applies a fault to the Nth match.
type Rule struct {
	Method string // "PUT", "GET", "DELETE", …; "" matches any
	// Key is a regular expression matched against the object key (the path after the
	// bucket, path-style); "" matches any key, including bucket-level requests.
	Key string
	// Nth is the 1-based occurrence among requests matching Method and Key that gets the
	// fault; 0 applies it to every match.
	Nth   int
	Fault Fault
	Delay time.Duration // for Delay
}

// Request is one request the proxy saw and what it did to it.
type Request struct {
	Method string
	Key    string
	Fault  Fault
	Status int // the server's status when forwarded; 0 when nothing reached the client
}

type rule struct {
	Rule
	key  *regexp.Regexp
	seen int
}

// FaultProxy is an HTTP reverse proxy on loopback in front of an S3 server, injecting faults
// into the requests its rules select. It forwards the Host header unchanged, so SigV4
// signatures made for the proxy's address verify at the server.
type FaultProxy struct {
	URL      string
	upstream string
	srv      *httptest.Server
	client   *http.Client
	done     chan struct{}
	once     sync.Once

	mu       sync.Mutex
	rules    []*rule
	log      []Request
	inFlight int
}

// NewFaultProxy starts a proxy in front of upstream (an http:// endpoint). Close stops it.
func NewFaultProxy(upstream string) *FaultProxy {
	p := &FaultProxy{
		upstream: strings.TrimSuffix(upstream, "/"),
		client:   &http.Client{Transport: &http.Transport{DisableCompression: true}},
		done:     make(chan struct{}),
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p
}

// StartFaultProxy starts a proxy in front of s, closed at cleanup, and returns it with s as
// seen through it (for Config, Store and StoreWithTimeout).
func StartFaultProxy(t testing.TB, s *S3Server) (*FaultProxy, *S3Server) {
	t.Helper()
	p := NewFaultProxy(s.Endpoint)
	t.Cleanup(p.Close)
	return p, &S3Server{Name: s.Name + " via fault proxy", Endpoint: p.URL, bin: s.bin, stop: func() {}}
}

// Close releases held requests and stops the proxy.
func (p *FaultProxy) Close() {
	p.once.Do(func() {
		close(p.done)
		p.srv.CloseClientConnections()
		p.srv.Close()
	})
}

// Add installs a rule; rules are tried in the order added and the first that fires wins.
func (p *FaultProxy) Add(r Rule) error {
	re, err := regexp.Compile(r.Key)
	if err != nil {
		return fmt.Errorf("fault proxy: rule key %q: %w", r.Key, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &rule{Rule: r, key: re})
	return nil
}

// Reset removes every rule and forgets the log.
func (p *FaultProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules, p.log = nil, nil
}

// Log returns the requests seen so far, in arrival order.
func (p *FaultProxy) Log() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.log...)
}

// Fired counts the requests that got fault f.
func (p *FaultProxy) Fired(f Fault) int {
	n := 0
	for _, r := range p.Log() {
		if r.Fault == f {
			n++
		}
	}
	return n
}

// objectKey is the key of a path-style request: the path after "/bucket/".
func objectKey(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.Path, "/")
	_, key, _ := strings.Cut(path, "/")
	return key
}

func (p *FaultProxy) pick(method, key string) Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	picked := Rule{Fault: Pass}
	for _, r := range p.rules {
		if r.Method != "" && r.Method != method || !r.key.MatchString(key) {
			continue
		}
		r.seen++
		if picked.Fault == Pass && (r.Nth == 0 || r.Nth == r.seen) {
			picked = r.Rule
		}
	}
	return picked
}

// Quiesce waits, at most timeout, until the proxy has served nothing for a few polls in a row:
// a client killed mid-command may have sent requests that still reach the server after it
// died, and a test reads the store's state only after them. It reports whether it got quiet.
func (p *FaultProxy) Quiesce(timeout time.Duration) bool {
	const poll, quietPolls = 50 * time.Millisecond, 4
	deadline := time.Now().Add(timeout)
	for quiet := 0; quiet < quietPolls; {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(poll)
		p.mu.Lock()
		busy := p.inFlight > 0
		p.mu.Unlock()
		if busy {
			quiet = 0
		} else {
			quiet++
		}
	}
	return true
}

// record logs req when it arrives (so that a test sees a fault as soon as its client gave
// up) and returns a setter for the status the client got.
func (p *FaultProxy) record(req Request) func(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, req)
	i := len(p.log) - 1
	return func(status int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if i < len(p.log) { // Reset may have emptied the log
			p.log[i].Status = status
		}
	}
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.inFlight++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()
	key := objectKey(r)
	rule := p.pick(r.Method, key)
	setStatus := p.record(Request{Method: r.Method, Key: key, Fault: rule.Fault})
	switch rule.Fault {
	case ResetBefore:
		_, _ = io.Copy(io.Discard, r.Body)
		resetConn(w)
		return
	case Status500, Status503:
		_, _ = io.Copy(io.Discard, r.Body)
		status := map[Fault]int{Status500: http.StatusInternalServerError, Status503: http.StatusServiceUnavailable}[rule.Fault]
		code := map[int]string{500: "InternalError", 503: "SlowDown"}[status]
		setStatus(status)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the fault proxy</Message></Error>`, code)
		return
	case Delay:
		if !p.wait(r.Context(), rule.Delay) {
			resetConn(w)
			return
		}
	}
	resp, err := p.forward(r)
	if err != nil {
		setStatus(http.StatusBadGateway)
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	switch rule.Fault {
	case LoseResponse:
		resetConn(w)
		return
	case HangAfterApply:
		p.wait(r.Context(), time.Hour)
		resetConn(w)
		return
	}
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	setStatus(resp.status)
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// wait returns true after d, false when the client went away or the proxy closed first.
func (p *FaultProxy) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-p.done:
	}
	return false
}

// answer is the server's response, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// forward sends r to the server and reads the whole answer. It does not follow the client's
// cancellation: a write the client gave up on still completes at the server, as with a real
// network where the request had already left.
func (p *FaultProxy) forward(r *http.Request) (answer, error) {
	reqBody, err := io.ReadAll(r.Body)
	if err != nil {
		return answer{}, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(reqBody))
	if err != nil {
		return answer{}, err
	}
	out.Header = r.Header.Clone()
	for _, h := range []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Expect"} {
		out.Header.Del(h)
	}
	out.Host = r.Host
	out.ContentLength = int64(len(reqBody))
	resp, err := p.client.Do(out)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	resp.Header.Del("Content-Length")
	resp.Header.Del("Connection")
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// resetConn closes the client's connection with an RST (SO_LINGER 0), as a dropped network
// path or a crashed load balancer does, rather than a clean FIN.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fault proxy: the server does not support hijacking")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
